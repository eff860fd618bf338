"""Server-rendered pages for agents: the inbox shell. Its data comes from the API and the agent socket."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from conversations.models import Conversation, Inbox, Label
from conversations.selectors import availability as availability_selectors
from conversations.selectors.core import event_latest_seq
from customers.models import ChannelKind
from helpdesk.models import Agent, Team


def _team_status(team: Team) -> dict:
    status = availability_selectors.team_availability(team=team)
    return {
        "id": team.id,
        "name": team.name,
        "state": status.state,
        "next_open": status.next_open.isoformat() if status.next_open else None,
    }


@login_required
@ensure_csrf_cookie
def inbox(request):
    agent = request.user
    my_team_ids = set(agent.teams.values_list("id", flat=True))
    teams = list(Team.objects.order_by("name"))
    agents = Agent.objects.filter(is_active=True).prefetch_related("teams").order_by("display_name", "username")
    bootstrap = {
        "me": {"id": agent.id, "name": agent.name, "username": agent.username, "availability": agent.availability},
        "event_seq": event_latest_seq(),
        "teams": [{"id": t.id, "name": t.name, "mine": t.id in my_team_ids} for t in teams],
        "team_status": [_team_status(t) for t in teams if t.id in my_team_ids or agent.is_supervisor],
        "agents": [
            {
                "id": a.id,
                "name": a.name,
                "username": a.username,
                "availability": a.availability,
                "team_ids": [t.id for t in a.teams.all()],
            }
            for a in agents
        ],
        "labels": [{"id": label.id, "name": label.name, "color": label.color} for label in Label.objects.all()],
        "inboxes": [{"id": i.id, "name": i.name, "kind": i.kind} for i in Inbox.objects.filter(is_active=True)],
        "channels": [{"value": value, "label": label} for value, label in ChannelKind.choices],
        "statuses": [{"value": value, "label": label} for value, label in Conversation.Status.choices],
        "priorities": [{"value": value, "label": label} for value, label in Conversation.Priority.choices],
    }
    views = [("mine", "Mine"), ("unassigned", "Unassigned"), ("team", "Team"), ("all", "All")]
    views += [("snoozed", "Snoozed"), ("resolved", "Resolved")]
    return render(request, "conversations/inbox/inbox.html", {"bootstrap": bootstrap, "views": views})
