"""REST endpoints for agents and integrations under /api/v1/ (serializers beside them)."""

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations import messaging, payloads
from conversations.inbox import selectors as inbox_selectors
from conversations.inbox.services import actions, presence
from conversations.inbox.services import canned as canned_services
from conversations.models import CannedResponse, Conversation
from conversations.selectors import core as selectors
from conversations.serializers import ConversationOut, EventOut, MessageOut
from conversations.services import messages as message_services
from customers.models import ChannelKind
from helpdesk.errors import ApplicationError, whole_number
from helpdesk.models import Agent, Team


def parse_int(request, name: str, default: int, minimum: int = 0) -> int:
    return whole_number(request.query_params.get(name), name=name, default=default, minimum=minimum)


class MessagePageOut(serializers.Serializer):
    conversation_id = serializers.IntegerField()
    last_seq = serializers.IntegerField()
    messages = MessageOut(many=True)


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
    @extend_schema(responses=ConversationOut)
    def get(self, request, conversation_id: int):
        conversation = selectors.conversation_view_for_agent(agent=request.user, conversation_id=conversation_id)
        if conversation is None:
            raise ApplicationError("No such conversation, or not one you may see.", code="not_found", status_code=404)
        return Response(payloads.conversation_payload(conversation))


class MessageListApi(APIView):
    """The conversation's log after a seq (catch-up), and posting an agent reply or private note."""

    @extend_schema(
        parameters=[
            OpenApiParameter("after_seq", int, description="Return messages with seq greater than this."),
            OpenApiParameter("limit", int, description="At most this many (1-200, default 100)."),
        ],
        responses=MessagePageOut,
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
                "messages": [payloads.message_payload(m) for m in items],
            }
        )

    @extend_schema(request=MessageInSerializer, responses={201: MessageOut, 200: MessageOut})
    def post(self, request, conversation_id: int):
        conversation = _conversation_or_404(request, conversation_id)
        data = MessageInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        message, created = messaging.agent_message_send(
            conversation=conversation,
            author=request.user,
            body=data.validated_data["body"],
            is_private=data.validated_data["private"],
            client_id=data.validated_data.get("client_id"),
        )
        return Response(
            payloads.message_payload(message),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class EventListApi(APIView):
    """The agents' event log after a cursor: what a reconnecting inbox applies to catch up."""

    @extend_schema(
        parameters=[OpenApiParameter("after", int), OpenApiParameter("limit", int)],
        responses=inline_serializer(
            "EventPage",
            {
                "events": EventOut(many=True),
                "latest_seq": serializers.IntegerField(),
                "has_more": serializers.BooleanField(),
            },
        ),
    )
    def get(self, request):
        after = parse_int(request, "after", 0)
        limit = parse_int(request, "limit", 200, minimum=1)
        # Read the head of the log first: every event up to it has committed, so the page below holds all
        # of them that this agent may see, and a client may safely move its cursor to latest_seq.
        latest_seq = selectors.event_latest_seq()
        events = selectors.event_list(agent=request.user, after=after, limit=limit)
        return Response(
            {
                "events": [payloads.event_frame(e) for e in events],
                "latest_seq": latest_seq,
                "has_more": len(events) == limit,
            }
        )


# --- The agent inbox ------------------------------------------------------------------------------


def parse_filters(request) -> inbox_selectors.InboxFilters:
    params = request.query_params
    status_value = params.get("status") or None
    if status_value and status_value not in Conversation.Status.values:
        raise ApplicationError(
            f"status must be one of {', '.join(Conversation.Status.values)}.",
            fields={"status": ["Unknown status."]},
        )
    channel = params.get("channel") or None
    if channel and channel not in ChannelKind.values:
        raise ApplicationError(
            f"channel must be one of {', '.join(ChannelKind.values)}.", fields={"channel": ["Unknown channel."]}
        )
    q = (params.get("q") or "").strip()
    if len(q) > 200:
        raise ApplicationError("Search for at most 200 characters.", fields={"q": ["Too long."]})
    return inbox_selectors.InboxFilters(
        view=params.get("view") or "all",
        status=status_value,
        inbox_id=parse_int(request, "inbox", 0) or None,
        channel=channel,
        team_id=parse_int(request, "team", 0) or None,
        label_id=parse_int(request, "label", 0) or None,
        waiting_minutes=parse_int(request, "waiting", 0) or None,
        q=q,
        sort=params.get("sort") or "",
    )


FILTER_PARAMETERS = [
    OpenApiParameter("view", str, enum=list(inbox_selectors.VIEWS), description="Default: all."),
    OpenApiParameter("status", str, enum=list(Conversation.Status.values)),
    OpenApiParameter("inbox", int),
    OpenApiParameter("channel", str, enum=list(ChannelKind.values)),
    OpenApiParameter("team", int),
    OpenApiParameter("label", int),
    OpenApiParameter("waiting", int, description="Waiting at least this many minutes."),
    OpenApiParameter("q", str, description="Search message text and customer name or e-mail."),
    OpenApiParameter("sort", str, enum=list(inbox_selectors.SORTS), description="Default: longest waiting first."),
]


class InboxListApi(APIView):
    """The agent's conversation list: a view, filters, search, and keyset pages (``cursor`` from the last page)."""

    @extend_schema(
        parameters=[*FILTER_PARAMETERS, OpenApiParameter("cursor", str), OpenApiParameter("limit", int)],
        responses=inline_serializer(
            "InboxPage",
            {"results": ConversationOut(many=True), "next_cursor": serializers.CharField(allow_null=True)},
        ),
    )
    def get(self, request):
        filters = parse_filters(request)
        rows, next_cursor = inbox_selectors.inbox_list(
            agent=request.user,
            filters=filters,
            cursor=request.query_params.get("cursor") or None,
            limit=parse_int(request, "limit", 25, minimum=1),
        )
        return Response({"results": [payloads.conversation_payload(c) for c in rows], "next_cursor": next_cursor})


class InboxRowApi(APIView):
    """One conversation as a list row and whether it belongs in the given view: how live updates re-sort."""

    @extend_schema(
        operation_id="inbox_conversation_row",
        parameters=FILTER_PARAMETERS,
        responses=inline_serializer(
            "InboxRowInView", {"conversation": ConversationOut(), "in_view": serializers.BooleanField()}
        ),
    )
    def get(self, request, conversation_id: int):
        conversation, in_view = inbox_selectors.inbox_row(
            agent=request.user, conversation_id=conversation_id, filters=parse_filters(request)
        )
        if conversation is None:
            raise ApplicationError("No such conversation, or not one you may see.", code="not_found", status_code=404)
        return Response({"conversation": payloads.conversation_payload(conversation), "in_view": in_view})


class InboxCountsApi(APIView):
    @extend_schema(
        responses=inline_serializer(
            "InboxCounts",
            {name: serializers.IntegerField() for name in (*inbox_selectors.VIEWS, "unread_mine", "unread_unassigned")},
        )
    )
    def get(self, request):
        return Response(inbox_selectors.inbox_counts(agent=request.user))


class PanelCustomerOut(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    locale = serializers.CharField()
    time_zone = serializers.CharField()
    profile_url = serializers.CharField()


class PanelChannelOut(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label
    inbox = serializers.CharField()


class PanelConversationOut(serializers.Serializer):
    """A link to another conversation, not a view of it: the panel shows the inbox by name."""

    id = serializers.IntegerField()
    status = serializers.CharField()
    inbox = serializers.CharField()
    created_at = serializers.DateTimeField()
    preview = serializers.CharField()


class PanelOut(serializers.Serializer):
    customer = PanelCustomerOut()
    channel = PanelChannelOut()
    other_conversations = PanelConversationOut(many=True)


def customer_panel_out(panel: dict) -> dict:
    customer, inbox = panel["customer"], panel["channel"]
    return {
        "customer": {
            "id": customer.id,
            "name": customer.display_name,
            "email": customer.email,
            "phone": customer.phone,
            "locale": customer.locale,
            "time_zone": customer.time_zone,
            "profile_url": f"/customers/{customer.id}/",
        },
        "channel": {"kind": inbox.kind, "label": inbox.get_kind_display(), "inbox": inbox.name},
        "other_conversations": [
            {
                "id": other.id,
                "status": other.status,
                "inbox": other.inbox.name,
                "created_at": other.created_at.isoformat(),
                "preview": (other.preview or "")[:120],
            }
            for other in panel["others"]
        ],
    }


class ThreadApi(APIView):
    """The whole thread (newest 200 messages; older with ``before_seq``), with the customer panel."""

    @extend_schema(
        parameters=[OpenApiParameter("before_seq", int), OpenApiParameter("limit", int)],
        responses=inline_serializer(
            "InboxThread",
            {
                "conversation": ConversationOut(),
                "messages": MessageOut(many=True),
                "has_earlier": serializers.BooleanField(),
                "panel": PanelOut(),
            },
        ),
    )
    def get(self, request, conversation_id: int):
        conversation, messages, has_earlier = inbox_selectors.conversation_thread(
            agent=request.user,
            conversation_id=conversation_id,
            before_seq=parse_int(request, "before_seq", 0) or None,
            limit=parse_int(request, "limit", 200, minimum=1),
        )
        if conversation is None:
            raise ApplicationError("No such conversation, or not one you may see.", code="not_found", status_code=404)
        return Response(
            {
                "conversation": payloads.conversation_payload(conversation),
                "messages": [payloads.message_payload(m, read_seq=conversation.customer_read_seq) for m in messages],
                "has_earlier": has_earlier,
                "panel": customer_panel_out(
                    inbox_selectors.customer_panel(agent=request.user, conversation=conversation)
                ),
            }
        )


class ActionInSerializer(serializers.Serializer):
    action = serializers.ChoiceField(
        choices=["assign", "unassign", "transfer", "resolve", "reopen", "snooze", "priority", "labels"]
    )
    assignee = serializers.IntegerField(required=False, allow_null=True)
    team = serializers.IntegerField(required=False, allow_null=True)
    priority = serializers.IntegerField(required=False)
    labels = serializers.ListField(child=serializers.IntegerField(), required=False)
    until = serializers.DateTimeField(required=False, allow_null=True)
    until_open = serializers.BooleanField(required=False, default=False)
    # resolve: the last seq the agent saw; newer customer messages refuse the resolve (409 new_messages).
    seen_seq = serializers.IntegerField(required=False, allow_null=True, min_value=0)


def _agent_or_error(agent_id) -> Agent:
    agent = Agent.objects.filter(pk=agent_id).first() if agent_id else None
    if agent is None:
        raise ApplicationError("No such agent.", code="invalid", fields={"assignee": ["Unknown agent."]})
    return agent


class ActionApi(APIView):
    """Do something to a conversation: ``{"action": "assign", "assignee": 7}``, ``{"action": "resolve"}``…"""

    @extend_schema(
        request=ActionInSerializer,
        responses=inline_serializer("ActionAnswer", {"conversation": ConversationOut(allow_null=True)}),
    )
    def post(self, request, conversation_id: int):
        conversation = _conversation_or_404(request, conversation_id)
        data = ActionInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values, actor = data.validated_data, request.user
        action = values["action"]
        assignee: Agent | None
        if action == "assign":
            assignee = _agent_or_error(values.get("assignee") or actor.id)
            actions.conversation_assign(conversation=conversation, actor=actor, assignee=assignee)
        elif action == "unassign":
            actions.conversation_unassign(conversation=conversation, actor=actor)
        elif action == "transfer":
            team = None
            if values.get("team"):
                team = Team.objects.filter(pk=values["team"]).first()
                if team is None:
                    raise ApplicationError("No such team.", fields={"team": ["Unknown team."]})
            assignee = _agent_or_error(values["assignee"]) if values.get("assignee") else None
            actions.conversation_transfer(conversation=conversation, actor=actor, team=team, assignee=assignee)
        elif action == "resolve":
            actions.conversation_resolve(conversation=conversation, actor=actor, seen_seq=values.get("seen_seq"))
        elif action == "reopen":
            actions.conversation_reopen(conversation=conversation, actor=actor)
        elif action == "snooze":
            actions.conversation_snooze_action(
                conversation=conversation, actor=actor, until=values.get("until"), until_open=values["until_open"]
            )
        elif action == "priority":
            if "priority" not in values:
                raise ApplicationError("Which priority?", fields={"priority": ["Required."]})
            actions.conversation_priority_set(conversation=conversation, actor=actor, priority=values["priority"])
        elif action == "labels":
            actions.conversation_labels_set(conversation=conversation, actor=actor, label_ids=values.get("labels", []))
        row, _ = inbox_selectors.inbox_row(
            agent=actor, conversation_id=conversation.id, filters=inbox_selectors.InboxFilters()
        )
        if row is None:
            # The action moved it out of this agent's sight (a transfer to another team).
            return Response({"conversation": None})
        return Response({"conversation": payloads.conversation_payload(row)})


class ReadInSerializer(serializers.Serializer):
    seq = serializers.IntegerField(min_value=0)


class ReadApi(APIView):
    """Mark the conversation read up to ``seq`` (the inbox also does this over its socket)."""

    @extend_schema(
        request=ReadInSerializer,
        responses=inline_serializer("ReadCursor", {"agent_read_seq": serializers.IntegerField()}),
    )
    def post(self, request, conversation_id: int):
        conversation = _conversation_or_404(request, conversation_id)
        data = ReadInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        conv = message_services.conversation_mark_read(
            conversation=conversation, seq=data.validated_data["seq"], by_customer=False
        )
        return Response({"agent_read_seq": conv.agent_read_seq})


class CannedResponseSerializer(serializers.ModelSerializer):
    class Meta:
        model = CannedResponse
        fields = ["id", "shortcut", "title", "body", "team"]


class CannedResponseListApi(APIView):
    """Saved replies for the composer's ``/`` menu; any agent may add one for everyone or for their team."""

    @extend_schema(parameters=[OpenApiParameter("q", str)], responses=CannedResponseSerializer(many=True))
    def get(self, request):
        items = inbox_selectors.canned_response_list(agent=request.user, prefix=request.query_params.get("q", ""))
        return Response(CannedResponseSerializer(items, many=True).data)

    @extend_schema(request=CannedResponseSerializer, responses={201: CannedResponseSerializer})
    def post(self, request):
        data = CannedResponseSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = data.validated_data.get("team")
        if team is not None and not request.user.is_supervisor and not request.user.teams.filter(pk=team.pk).exists():
            raise ApplicationError("You can only add replies for your own teams.", code="forbidden", status_code=403)
        item = canned_services.canned_response_create(actor=request.user, **data.validated_data)
        return Response(CannedResponseSerializer(item).data, status=status.HTTP_201_CREATED)


class PresenceInSerializer(serializers.Serializer):
    availability = serializers.ChoiceField(choices=Agent.Availability.values)


class PresenceApi(APIView):
    @extend_schema(request=PresenceInSerializer, responses=PresenceInSerializer)
    def post(self, request):
        data = PresenceInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        agent = presence.agent_presence_set(agent=request.user, availability=data.validated_data["availability"])
        return Response({"availability": agent.availability})
