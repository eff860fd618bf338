"""Load demo data: agents in two teams, a business-hours policy, inboxes, customers with conversations.

Idempotent: running it again changes nothing that is already there. Messages go through the write path
(``conversations.messaging``), so demo conversations take the same steps as real ones.
"""

import os
from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from conversations import messaging
from conversations.models import CannedResponse, Conversation, Inbox, Label, Message
from customers.models import ChannelIdentity, ContactPoint, CustomAttributeDefinition, Customer, CustomerStatus
from helpdesk.models import Agent, Team
from hours.demo import demo_policy_create

DEMO_PASSWORD = "helpdesk-demo"  # noqa: S105 - demo data only, printed by `make run`

AGENTS = [
    # username, display name, team slug, supervisor
    ("sam", "Sam Supervisor", None, True),
    ("ana", "Ana Alvarez", "support", False),
    ("ben", "Ben Becker", "support", False),
    ("chloe", "Chloé Charpentier", "sales", False),
    ("dan", "Dan Dossou", "sales", False),
]

CUSTOMERS = [
    # external id, name, email, locale, time zone, inbox slug, status, messages (sender, body)
    ("demo-1", "Mia Müller", "mia@example.com", "de-DE", "Europe/Berlin", "website", "open",
     [("customer", "Hallo! My order #1042 hasn't arrived yet."), ("customer", "Could you check where it is?")]),
    ("demo-2", "Liam O'Brien", "liam@example.com", "en-IE", "Europe/Dublin", "website", "pending",
     [("customer", "Can I change the delivery address?"), ("agent", "Yes, which address should we use?")]),
    ("demo-3", "Sofia Rossi", "sofia@example.com", "it-IT", "Europe/Rome", "whatsapp", "snoozed",
     [("customer", "I'll send the receipt tomorrow."), ("agent", "Perfect, I'll check back then.")]),
    ("demo-4", "Noah Smith", "noah@example.com", "en-US", "America/New_York", "sales", "resolved",
     [("customer", "Do you offer team plans?"), ("agent", "We do: up to 50 seats."), ("customer", "Great, thanks!")]),
    ("demo-5", "Yuki Tanaka", "", "ja-JP", "Asia/Tokyo", "website", "open",
     [("customer", "Is the shop open on public holidays?")]),
    ("demo-6", "Ava Johnson", "ava@example.com", "en-GB", "Europe/London", "sales", "open",
     [("customer", "I'd like a quote for 20 seats <b>asap</b>.")]),
]  # fmt: skip


CUSTOMER_STATUSES = [("lead", "Lead"), ("customer", "Customer"), ("vip", "VIP"), ("churned", "Churned")]
CUSTOM_ATTRIBUTES = [
    # key, label, type, choices
    ("plan", "Plan", "choice", ["free", "team", "enterprise"]),
    ("seats", "Seats", "number", []),
    ("renewal_date", "Renewal date", "date", []),
    ("newsletter", "Newsletter", "boolean", []),
    ("account_manager", "Account manager", "text", []),
]


CANNED = [
    ("hello", "Greeting", "Hi! Thanks for getting in touch. How can I help?"),
    ("tracking", "Order tracking", "You can follow your parcel at https://example.com/track with your order number."),
    ("refund", "Refund timing", "Refunds reach your account within 5 business days of our confirmation."),
    ("bye", "Closing", "Glad I could help. Have a lovely day!"),
]


class Command(BaseCommand):
    help = "Load demo agents, teams, a business-hours policy, inboxes, customers and conversations (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--if-embedded",
            action="store_true",
            help="Only on the embedded defaults (no DATABASE_URL) or with SEED_DEMO=1: what `make run` uses, so "
            "a real database never gets the demo logins by accident.",
        )

    def handle(self, *args, **options):
        if options["if_embedded"] and settings.DATABASE_URL and os.environ.get("SEED_DEMO") != "1":
            self.stdout.write("DATABASE_URL is set: no demo data (set SEED_DEMO=1 to load it anyway).")
            return
        self.seed()

    @transaction.atomic
    def seed(self):
        policy = demo_policy_create()
        teams = {}
        for slug, name in [("support", "Support"), ("sales", "Sales")]:
            teams[slug], _ = Team.objects.get_or_create(
                slug=slug, defaults={"name": name, "business_hours_policy": policy}
            )
        agents = {}
        for username, display, team_slug, supervisor in AGENTS:
            agent, created = Agent.objects.get_or_create(
                username=username,
                defaults={
                    "display_name": display,
                    "email": f"{username}@helpdesk.localhost",
                    "is_staff": supervisor,
                    "is_superuser": supervisor,
                    "time_zone": "Europe/Berlin",
                },
            )
            if created:
                agent.set_password(DEMO_PASSWORD)
                agent.save()
            if team_slug:
                teams[team_slug].members.add(agent)
            agents[username] = agent
        inboxes = {}
        for slug, name, kind, team in [
            ("website", "Website chat", "webchat", "support"),
            ("whatsapp", "WhatsApp", "whatsapp", "support"),
            ("sales", "Sales chat", "webchat", "sales"),
        ]:
            inboxes[slug], _ = Inbox.objects.get_or_create(
                slug=slug, defaults={"name": name, "kind": kind, "team": teams[team], "business_hours_policy": policy}
            )
        for name, color in [("billing", "#2563eb"), ("delivery", "#d97706"), ("vip", "#7c3aed")]:
            Label.objects.get_or_create(name=name, defaults={"color": color})
        for shortcut, title, body in CANNED:
            CannedResponse.objects.get_or_create(shortcut=shortcut, defaults={"title": title, "body": body})
        for position, (slug, name) in enumerate(CUSTOMER_STATUSES):
            CustomerStatus.objects.get_or_create(slug=slug, defaults={"name": name, "position": position})
        for position, (key, label, kind, choices) in enumerate(CUSTOM_ATTRIBUTES):
            CustomAttributeDefinition.objects.get_or_create(
                key=key, defaults={"label": label, "type": kind, "choices": choices, "position": position}
            )

        made = 0
        for external_id, name, email, locale, tz, inbox_slug, status, lines in CUSTOMERS:
            customer, _ = Customer.objects.get_or_create(
                external_id=external_id,
                defaults={"name": name, "email": email, "locale": locale, "time_zone": tz, "status": "customer"},
            )
            if email:
                ContactPoint.objects.get_or_create(customer=customer, kind="email", value=email)
            kind = inboxes[inbox_slug].kind
            ChannelIdentity.objects.get_or_create(
                kind=kind, address=f"{external_id}@{kind}", defaults={"customer": customer}
            )
            if customer.conversations.exists():
                continue
            made += 1
            inbox = inboxes[inbox_slug]
            agent = next(a for a in agents.values() if inbox.team in a.teams.all())
            conversation = None
            for sender, body in lines:
                if sender == Message.Sender.CUSTOMER:
                    conversation = messaging.customer_message_receive(
                        inbox=inbox,
                        customer=customer,
                        body=body,
                        new_conversation_context={"page_url": "https://example.com/shop"},
                    ).conversation
                else:  # every demo conversation opens with the customer
                    messaging.agent_message_send(conversation=conversation, author=agent, body=body)
            updates = {"status": status}
            if status != "open" or any(s == "agent" for s, _ in lines):
                updates["assignee"] = agent
            if status == "snoozed":
                updates["snoozed_until"] = timezone.now() + timedelta(days=1)
            if status == "resolved":
                updates["resolved_at"] = timezone.now()
                updates["waiting_since"] = None
            Conversation.objects.filter(pk=conversation.pk).update(**updates)
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({made} new conversations). Password for every demo agent: {DEMO_PASSWORD}"
            )
        )
