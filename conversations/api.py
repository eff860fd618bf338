"""REST endpoints for agents and integrations under /api/v1/ (serializers beside them)."""

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations import realtime
from conversations.models import Conversation, Message
from conversations.selectors import core as selectors
from conversations.services import messages as message_services
from helpdesk.errors import ApplicationError


def parse_int(request, name: str, default: int, minimum: int = 0) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApplicationError(f"{name} must be a whole number.", fields={name: ["Not a whole number."]}) from None
    if value < minimum:
        raise ApplicationError(f"{name} must be at least {minimum}.", fields={name: [f"At least {minimum}."]})
    return value


class ConversationSerializer(serializers.ModelSerializer):
    customer_name = serializers.CharField(source="customer.display_name", read_only=True)
    unread = serializers.IntegerField(source="unread_for_agents", read_only=True)

    class Meta:
        model = Conversation
        fields = [
            "id", "inbox", "customer", "customer_name", "status", "priority", "assignee", "team", "subject",
            "waiting_since", "first_response_at", "last_message_at", "last_seq", "agent_read_seq",
            "customer_read_seq", "unread", "created_at", "updated_at",
        ]  # fmt: skip
        read_only_fields = fields


class MessageOutSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    conversation_id = serializers.IntegerField()
    seq = serializers.IntegerField()
    sender = serializers.CharField()
    body = serializers.CharField()
    is_private = serializers.BooleanField()
    client_id = serializers.CharField(allow_null=True)
    created_at = serializers.DateTimeField()


class MessageInSerializer(serializers.Serializer):
    body = serializers.CharField(trim_whitespace=True, allow_blank=False)
    client_id = serializers.CharField(required=False, allow_null=True, max_length=64)
    private = serializers.BooleanField(required=False, default=False)


def _conversation_or_404(request, conversation_id: int) -> Conversation:
    conversation = selectors.conversation_get_for_agent(agent=request.user, conversation_id=conversation_id)
    if conversation is None:
        raise ApplicationError("No such conversation, or not one you may see.", code="not_found", status_code=404)
    return conversation


class ConversationDetailApi(APIView):
    @extend_schema(responses=ConversationSerializer)
    def get(self, request, conversation_id: int):
        return Response(ConversationSerializer(_conversation_or_404(request, conversation_id)).data)


class MessageListApi(APIView):
    """The conversation's log after a seq (catch-up), and posting an agent reply or private note."""

    @extend_schema(
        parameters=[
            OpenApiParameter("after_seq", int, description="Return messages with seq greater than this."),
            OpenApiParameter("limit", int, description="At most this many (1-200, default 100)."),
        ],
        responses=MessageOutSerializer(many=True),
    )
    def get(self, request, conversation_id: int):
        conversation = _conversation_or_404(request, conversation_id)
        after_seq = parse_int(request, "after_seq", 0)
        limit = parse_int(request, "limit", 100, minimum=1)
        items = selectors.message_list(
            conversation=conversation, after_seq=after_seq, limit=limit, include_private=True
        )
        return Response(
            {
                "conversation_id": conversation.id,
                "last_seq": conversation.last_seq,
                "messages": [realtime.message_payload(m, for_customer=False) for m in items],
            }
        )

    @extend_schema(request=MessageInSerializer, responses={201: MessageOutSerializer, 200: MessageOutSerializer})
    def post(self, request, conversation_id: int):
        conversation = _conversation_or_404(request, conversation_id)
        data = MessageInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message, created = message_services.message_create(
            conversation=conversation,
            sender=Message.Sender.AGENT,
            author=request.user,
            body=data.validated_data["body"],
            is_private=data.validated_data["private"],
            client_id=data.validated_data.get("client_id"),
        )
        return Response(
            realtime.message_payload(message, for_customer=False),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class EventListApi(APIView):
    """The agents' event log after a cursor: what a reconnecting inbox applies to catch up."""

    @extend_schema(
        parameters=[OpenApiParameter("after", int), OpenApiParameter("limit", int)],
        responses=inline_serializer(
            "EventPage",
            {
                "events": serializers.ListField(child=serializers.DictField()),
                "latest_seq": serializers.IntegerField(),
                "has_more": serializers.BooleanField(),
            },
        ),
    )
    def get(self, request):
        after = parse_int(request, "after", 0)
        limit = parse_int(request, "limit", 200, minimum=1)
        events = selectors.event_list(agent=request.user, after=after, limit=limit)
        return Response(
            {
                "events": [realtime.event_frame(e) for e in events],
                "latest_seq": selectors.event_latest_seq(),
                "has_more": len(events) == limit,
            }
        )


def get_conversation_or_404(pk):  # used by admin actions and tests
    return get_object_or_404(Conversation, pk=pk)
