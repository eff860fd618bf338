"""Business-hours status over the API: every team's state for agents, and one inbox's for its chat page."""

from django.urls import path
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from conversations.models import Inbox
from conversations.payloads import availability_payload
from conversations.selectors.availability import inbox_availability, team_availability_list
from conversations.serializers import AvailabilityOut
from helpdesk.errors import ApplicationError, NotFound
from hours import engine

PREFERENCES = [
    OpenApiParameter("tz", str, description="IANA time zone for next_open_text, e.g. Europe/Berlin."),
    OpenApiParameter("lang", str, description="Language for next_open_text: en, de, fr or es."),
]


def _preferences(request) -> tuple[str | None, str | None]:
    zone = request.query_params.get("tz") or None
    if zone is not None and not engine.is_time_zone(zone):
        raise ApplicationError(
            f"“{zone[:64]}” is not an IANA time zone (for example Europe/Berlin).",
            code="invalid",
            fields={"tz": ["Unknown time zone."]},
        )
    return zone, request.query_params.get("lang") or request.LANGUAGE_CODE


class TeamStatusApi(APIView):
    """Each team's status: open, away (within hours, nobody there) or closed, and when it next opens."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=PREFERENCES,
        responses=inline_serializer(
            "TeamStatusList",
            {
                "teams": inline_serializer(
                    "TeamStatus",
                    {
                        "id": serializers.IntegerField(),
                        "name": serializers.CharField(),
                        "slug": serializers.CharField(),
                        "availability": AvailabilityOut(),
                    },
                    many=True,
                )
            },
        ),
    )
    def get(self, request):
        zone, language = _preferences(request)
        zone = zone or getattr(request.user, "time_zone", None)
        teams = [
            {
                "id": team.id,
                "name": team.name,
                "slug": team.slug,
                "availability": availability_payload(availability, time_zone=zone, language=language),
            }
            for team, availability in team_availability_list()
        ]
        return Response({"teams": teams})


class InboxStatusApi(APIView):
    """Whether an inbox's team is there, for the chat page before the customer writes (no login)."""

    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [AnonRateThrottle]

    @extend_schema(parameters=PREFERENCES, responses=AvailabilityOut)
    def get(self, request, slug: str):
        zone, language = _preferences(request)
        inbox = (
            Inbox.objects.select_related("team__business_hours_policy", "business_hours_policy")
            .filter(slug=slug, is_active=True)
            .first()
        )
        if inbox is None:
            raise NotFound("No such inbox.")
        return Response(availability_payload(inbox_availability(inbox=inbox), time_zone=zone, language=language))


api_urlpatterns = [
    path("status/", TeamStatusApi.as_view(), name="api-status"),
    path("status/inboxes/<slug:slug>/", InboxStatusApi.as_view(), name="api-inbox-status"),
]
