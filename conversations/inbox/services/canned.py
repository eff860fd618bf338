"""Saved replies for the composer."""

from conversations.models import CannedResponse
from helpdesk.errors import ApplicationError
from helpdesk.models import Agent, Team


def canned_response_create(
    *, actor: Agent, shortcut: str, title: str, body: str, team: Team | None = None
) -> CannedResponse:
    if CannedResponse.objects.filter(shortcut__iexact=shortcut).exists():
        raise ApplicationError(
            f"/{shortcut} is taken; choose another shortcut.", code="duplicate", fields={"shortcut": ["Taken."]}
        )
    return CannedResponse.objects.create(shortcut=shortcut.lower(), title=title, body=body, team=team, created_by=actor)
