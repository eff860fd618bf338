"""Every write to conversations, in a transaction, emitting events and enqueuing work on commit.

Split by concern; import from the submodules (``conversations.services.messages`` …).
"""
