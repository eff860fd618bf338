"""Customer endpoints that need conversations: history (scoped to what the asking agent may see) and merge."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from conversations import payloads
from conversations.serializers import ConversationOut
from customers.api import CustomerDetailSerializer, customer_or_404
from customers.profiles import selectors
from customers.profiles.services.merge import customer_merge
from customers.selectors import customer_get
from helpdesk.errors import ApplicationError


class HistoryConversationOut(ConversationOut):
    """The agents' view of a conversation, with how many public messages it holds."""

    message_count = serializers.IntegerField()


class ChannelUsedOut(serializers.Serializer):
    kind = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # a declared field, not Field.label


def history_conversation_payload(conversation) -> dict:
    return {**payloads.conversation_payload(conversation), "message_count": conversation.message_count}


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    kind = serializers.CharField()
    text = serializers.CharField()
    conversation_id = serializers.IntegerField(allow_null=True)
    page_url = serializers.CharField(required=False)


class CustomerHistoryApi(APIView):
    @extend_schema(
        operation_id="customers_history",
        responses=inline_serializer(
            "CustomerHistory",
            {
                "customer_id": serializers.IntegerField(),
                "channels": ChannelUsedOut(many=True),
                "conversations": HistoryConversationOut(many=True),
                "hidden_conversations": serializers.IntegerField(),
                "timeline": TimelineEntrySerializer(many=True),
            },
        ),
    )
    def get(self, request, customer_id: int):
        customer = customer_or_404(customer_id)
        history = selectors.customer_history_list(agent=request.user, customer=customer)
        total = selectors.customer_conversation_count(customer=customer)
        return Response(
            {
                "customer_id": customer.id,
                "channels": selectors.customer_channels_used(customer=customer),
                "conversations": [history_conversation_payload(c) for c in history],
                "hidden_conversations": total - len(history),
                "timeline": TimelineEntrySerializer(
                    selectors.customer_timeline(agent=request.user, customer=customer), many=True
                ).data,
            }
        )


class MergeInSerializer(serializers.Serializer):
    source_id = serializers.IntegerField(help_text="The profile to merge into this one; it is deleted.")


class CustomerMergeApi(APIView):
    """An agent decides two profiles are one person: the other profile is merged into this one."""

    @extend_schema(operation_id="customers_merge", request=MergeInSerializer, responses=CustomerDetailSerializer)
    def post(self, request, customer_id: int):
        target = customer_or_404(customer_id)
        data = MergeInSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        source = customer_get(customer_id=data.validated_data["source_id"])
        if source is None:
            raise ApplicationError("No customer with that source_id.", code="not_found", status_code=404)
        customer_merge(target=target, source=source, actor=request.user)
        return Response(CustomerDetailSerializer(customer_or_404(customer_id)).data)
