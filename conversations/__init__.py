"""Conversations and their message log, the realtime layer, the inbox, the chat page and connectors."""
