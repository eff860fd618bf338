"""DRF output serializers of the shapes in ``conversations.payloads``, so the OpenAPI schema describes them.

Answers are built by the payload functions; these serializers only document them (tests compare the two).
"""

from rest_framework import serializers


class PersonOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class CustomerRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()


class InboxRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()


class LabelRefOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    color = serializers.CharField()


class ConversationOut(serializers.Serializer):
    """``payloads.ConversationPayload``: a conversation as agents see it."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    priority = serializers.IntegerField()
    subject = serializers.CharField()
    customer = CustomerRefOut()
    customer_id = serializers.IntegerField()
    inbox = InboxRefOut()
    inbox_id = serializers.IntegerField()
    team = PersonOut(allow_null=True)
    team_id = serializers.IntegerField(allow_null=True)
    assignee = PersonOut(allow_null=True)
    assignee_id = serializers.IntegerField(allow_null=True)
    labels = LabelRefOut(many=True)
    preview = serializers.CharField()
    preview_sender = serializers.CharField(allow_null=True)
    waiting_since = serializers.DateTimeField(allow_null=True)
    last_message_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    snoozed_until = serializers.DateTimeField(allow_null=True)
    resolved_at = serializers.DateTimeField(allow_null=True)
    first_response_at = serializers.DateTimeField(allow_null=True)
    first_response_seconds = serializers.IntegerField(allow_null=True)
    last_seq = serializers.IntegerField()
    agent_read_seq = serializers.IntegerField()
    customer_read_seq = serializers.IntegerField()
    unread = serializers.IntegerField()


class MessageOut(serializers.Serializer):
    """``payloads.MessagePayload``: a message as agents see it."""

    id = serializers.IntegerField()
    conversation_id = serializers.IntegerField()
    seq = serializers.IntegerField()
    sender = serializers.CharField()
    author = PersonOut(allow_null=True)
    body = serializers.CharField()
    event = serializers.CharField()
    client_id = serializers.CharField(allow_null=True)
    delivery_status = serializers.CharField()
    created_at = serializers.DateTimeField()
    is_private = serializers.BooleanField()
    meta = serializers.DictField()


class EventOut(serializers.Serializer):
    """``payloads.EventFrame``: one entry of the agents' event log."""

    type = serializers.ChoiceField(choices=["event"])
    seq = serializers.IntegerField()
    event = serializers.CharField()
    conversation_id = serializers.IntegerField(allow_null=True)
    data = serializers.DictField()  # type: ignore[assignment]  # a declared field, not Serializer.data


class AvailabilityOut(serializers.Serializer):
    """``payloads.AvailabilityPayload``."""

    state = serializers.ChoiceField(choices=["open", "away", "closed"])
    is_open = serializers.BooleanField()
    reason = serializers.CharField()
    next_open = serializers.DateTimeField(allow_null=True)
    next_open_text = serializers.CharField(allow_null=True)
    next_close = serializers.DateTimeField(allow_null=True)
    time_zone = serializers.CharField()
    policy_id = serializers.IntegerField(allow_null=True)
    status_text = serializers.CharField()
    expectation = serializers.CharField()
    require_email = serializers.BooleanField()
