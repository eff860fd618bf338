"""Response and resolution times, in wall-clock seconds and in business seconds of the conversation's policy.

A reply on Monday 09:05 to a message sent Friday 19:00 took 62 hours of wall-clock time but five business
minutes: the second number is the fair one for the team.
"""

from datetime import datetime

from conversations.models import Conversation, Message
from conversations.selectors.availability import business_seconds, policy_for_conversation


def _business_seconds(conversation: Conversation, start: datetime, end: datetime) -> int:
    return business_seconds(policy=policy_for_conversation(conversation), start=start, end=end)


def first_response_record(*, conversation: Conversation, message: Message) -> None:
    """After a public agent reply: the business-time twin of the first response time."""
    # message_create sets first_response_at on the first public agent reply; fill in its business twin.
    if message.sender != Message.Sender.AGENT or message.is_private:
        return
    if conversation.first_response_at is None or conversation.first_response_business_seconds is not None:
        return
    seconds = _business_seconds(conversation, conversation.created_at, conversation.first_response_at)
    Conversation.objects.filter(pk=conversation.pk).update(first_response_business_seconds=seconds)
    conversation.first_response_business_seconds = seconds


def conversation_resolution_record(*, conversation: Conversation, now: datetime) -> Conversation:
    """Store how long the conversation took to resolve, wall-clock and business; call in the resolve
    transaction. Measured from its creation, so a reopened conversation counts its whole life."""
    conversation.resolution_seconds = max(int((now - conversation.created_at).total_seconds()), 0)
    conversation.resolution_business_seconds = _business_seconds(conversation, conversation.created_at, now)
    Conversation.objects.filter(pk=conversation.pk).update(
        resolution_seconds=conversation.resolution_seconds,
        resolution_business_seconds=conversation.resolution_business_seconds,
    )
    return conversation
