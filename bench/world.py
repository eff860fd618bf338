"""The people and places a scenario needs: a team, an inbox, agents with sessions, customers with
conversations. Created with bulk inserts so setting up hundreds costs little."""

import secrets

from django.db import transaction


def make_world(*, customers: int, agents: int, label: str, supervisor_agents: bool = False) -> dict:
    from conversations.models import Conversation, Inbox
    from customers.models import Customer
    from helpdesk.models import Agent, Team

    tag = f"{label}-{secrets.token_hex(3)}"
    with transaction.atomic():
        team = Team.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}")
        inbox = Inbox.objects.create(name=f"Bench {tag}", slug=f"bench-{tag}", kind="webchat", team=team)
        people = Agent.objects.bulk_create(
            [
                Agent(
                    username=f"bench-{tag}-{i}",
                    is_staff=supervisor_agents,
                    availability=Agent.Availability.ONLINE,
                )
                for i in range(agents)
            ]
        )
        team.members.add(*people)
        custs = Customer.objects.bulk_create(
            [Customer(name=f"Customer {tag} {i}", email=f"c{i}-{tag}@example.com") for i in range(customers)]
        )
        convs = Conversation.objects.bulk_create([Conversation(inbox=inbox, customer=c, team=team) for c in custs])
    return {"team": team, "inbox": inbox, "agents": people, "customers": custs, "conversations": convs}


def visitor_cookies(*, inbox, count: int) -> list[str]:
    """Signed visitor cookies, as the chat page would have set them, for ``count`` new visitors."""
    from conversations.chat import identity

    cookies = []
    for _ in range(count):
        visitor = identity.visitor_create(inbox=inbox)
        cookies.append(f"{identity.cookie_name(inbox)}={identity.cookie_value(visitor)}")
    return cookies


def chat_path(inbox) -> str:
    return f"/ws/chat/{inbox.slug}/"
