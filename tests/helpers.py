"""Writing messages in tests the way the application does: through the write path's steps."""

from conversations import messaging
from conversations.models import Message
from conversations.services import messages


def message_create(*, conversation, sender, body, **kwargs):
    """Store a message in this very conversation, followed by the steps its sender's messages take."""
    after = {
        Message.Sender.CUSTOMER: messaging.after_customer_message,
        Message.Sender.AGENT: messaging.after_agent_message,
    }.get(sender)
    return messages.message_create(conversation=conversation, sender=sender, body=body, after=after, **kwargs)


def chat_message_send(*, visitor, body, client_id=None, context=None):
    """A customer message from the chat page, as the page's socket writes it: (message, created, conversation)."""
    received = messaging.customer_message_receive(
        inbox=visitor.inbox, customer=visitor.customer, body=body, client_id=client_id, context=context
    )
    return received.message, received.created, received.conversation
