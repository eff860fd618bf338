"""Customer profile endpoints under /api/v1/customers/: list and search, detail, update, notes. Agents only;
every agent may read and edit profiles (conversations, not profiles, are what teams divide between them)."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import selectors, services
from customers.models import Customer


class ContactSerializer(serializers.Serializer):
    kind = serializers.CharField()
    value = serializers.CharField()
    verified = serializers.BooleanField()


class IdentitySerializer(serializers.Serializer):
    kind = serializers.CharField()
    address = serializers.CharField()
    verified = serializers.BooleanField()


class NoteSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    body = serializers.CharField()
    author = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)

    def get_author(self, note) -> str | None:
        return note.author.name if note.author else None


class EnrichmentSerializer(serializers.Serializer):
    email = serializers.EmailField()
    source = serializers.CharField(source="provider")  # type: ignore[assignment]  # a declared field, not Field.source
    status = serializers.CharField()
    found = serializers.SerializerMethodField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    next_attempt_at = serializers.SerializerMethodField()
    requested_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)

    def get_found(self, item) -> dict:
        return (item.data or {}).get("profile", {})

    def get_next_attempt_at(self, item) -> str | None:
        return item.run_after.isoformat() if item.status == "pending" else None


class CustomerListSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    display_name = serializers.CharField()
    email = serializers.CharField()
    phone = serializers.CharField()
    emails = serializers.ListField(child=serializers.CharField())
    phones = serializers.ListField(child=serializers.CharField())
    company = serializers.CharField()
    status = serializers.CharField()
    labels = serializers.ListField(child=serializers.CharField())
    avatar_url = serializers.CharField()
    last_seen_at = serializers.DateTimeField(allow_null=True)


class CustomerDetailSerializer(CustomerListSerializer):
    locale = serializers.CharField()
    time_zone = serializers.CharField()
    location = serializers.CharField()
    custom_attributes = serializers.DictField()
    external_id = serializers.CharField()
    first_seen_at = serializers.DateTimeField()
    erased_at = serializers.DateTimeField(allow_null=True)
    contacts = ContactSerializer(many=True, source="contacts.all")
    identities = IdentitySerializer(many=True, source="identities.all")
    notes = NoteSerializer(many=True, source="notes.all")
    enrichment = serializers.SerializerMethodField()

    @extend_schema(responses=EnrichmentSerializer(allow_null=True))
    def get_enrichment(self, customer) -> dict | None:
        item = selectors.customer_latest_enrichment(customer)
        return EnrichmentSerializer(item).data if item else None


class CustomerUpdateSerializer(serializers.Serializer):
    """Documents the PATCH body; validation happens in the service so the API and imports agree."""

    name = serializers.CharField(required=False)
    emails = serializers.ListField(child=serializers.CharField(), required=False, help_text="First is primary.")
    phones = serializers.ListField(child=serializers.CharField(), required=False, help_text="First is primary.")
    avatar_url = serializers.CharField(required=False)
    locale = serializers.CharField(required=False)
    time_zone = serializers.CharField(required=False)
    location = serializers.CharField(required=False)
    company = serializers.CharField(required=False)
    status = serializers.CharField(required=False)
    labels = serializers.ListField(child=serializers.CharField(), required=False)
    custom_attributes = serializers.DictField(required=False, help_text="Merged; null removes an attribute.")
    external_id = serializers.CharField(required=False)


def _int_param(request, name: str, default=None, minimum: int = 1):
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationError({name: [f"{name} must be a whole number."]}) from None
    if value < minimum:
        raise ValidationError({name: [f"{name} must be at least {minimum}."]})
    return value


def customer_or_404(customer_id: int) -> Customer:
    customer = selectors.customer_get(customer_id=customer_id)
    if customer is None:
        raise Http404("No such customer.")
    return customer


class CustomerListApi(APIView):
    @extend_schema(
        operation_id="customers_list",
        parameters=[
            OpenApiParameter("q", str, description="Search name, e-mails, phones, company, external id."),
            OpenApiParameter("status", str),
            OpenApiParameter("before_id", int, description="Keyset cursor: the next_before_id of the last page."),
            OpenApiParameter("limit", int, description="1-200, default 50."),
        ],
        responses=inline_serializer(
            "CustomerPage",
            {
                "customers": CustomerListSerializer(many=True),
                "next_before_id": serializers.IntegerField(allow_null=True),
            },
        ),
    )
    def get(self, request):
        limit = min(_int_param(request, "limit", 50), selectors.MAX_PAGE)
        customers = selectors.customer_list(
            query=request.query_params.get("q", ""),
            status=request.query_params.get("status", ""),
            before_id=_int_param(request, "before_id"),
            limit=limit,
        )
        return Response(
            {
                "customers": CustomerListSerializer(customers, many=True).data,
                "next_before_id": customers[-1].id if len(customers) == limit else None,
            }
        )


class CustomerDetailApi(APIView):
    @extend_schema(operation_id="customers_retrieve", responses=CustomerDetailSerializer)
    def get(self, request, customer_id: int):
        return Response(CustomerDetailSerializer(customer_or_404(customer_id)).data)

    @extend_schema(
        operation_id="customers_update", request=CustomerUpdateSerializer, responses=CustomerDetailSerializer
    )
    def patch(self, request, customer_id: int):
        customer = customer_or_404(customer_id)
        data = request.data.dict() if hasattr(request.data, "dict") else request.data
        services.customer_update(customer=customer, data=data, actor=request.user)
        return Response(CustomerDetailSerializer(customer_or_404(customer_id)).data)


class CustomerNoteApi(APIView):
    @extend_schema(operation_id="customers_notes_create", request=NoteSerializer, responses={201: NoteSerializer})
    def post(self, request, customer_id: int):
        customer = customer_or_404(customer_id)
        note = services.customer_note_add(customer=customer, author=request.user, body=request.data.get("body", ""))
        return Response(NoteSerializer(note).data, status=status.HTTP_201_CREATED)
