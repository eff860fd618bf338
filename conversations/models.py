"""Inboxes, conversations, the gapless message log, the agents' event log and the outbox."""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q

from customers.models import ChannelKind


def new_secret() -> str:
    return secrets.token_urlsafe(32)


class Inbox(models.Model):
    """One messaging channel instance: a chat page, a WhatsApp number, a Messenger page…"""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=ChannelKind.choices, default=ChannelKind.WEBCHAT)
    team = models.ForeignKey("helpdesk.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="inboxes")
    business_hours_policy = models.ForeignKey(
        "hours.BusinessHoursPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="inboxes"
    )
    settings = models.JSONField(default=dict, blank=True, help_text="Channel-specific settings.")
    # Routing key for inbound webhooks: phone number id, page id, business id.
    external_id = models.CharField(max_length=200, blank=True, db_index=True)
    # Signs verified-identity tokens and webhook payloads; never shown outside the admin.
    secret = models.CharField(max_length=100, default=new_secret)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "inboxes"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Label(models.Model):
    name = models.CharField(max_length=50, unique=True)
    color = models.CharField(max_length=7, default="#6b7280")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


ACTIVE_Q = Q(status__in=["open", "pending"])


class Conversation(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        PENDING = "pending", "Pending"
        SNOOZED = "snoozed", "Snoozed"
        RESOLVED = "resolved", "Resolved"

    class Priority(models.IntegerChoices):
        NONE = 0, "None"
        LOW = 1, "Low"
        MEDIUM = 2, "Medium"
        HIGH = 3, "High"
        URGENT = 4, "Urgent"

    inbox = models.ForeignKey(Inbox, on_delete=models.PROTECT, related_name="conversations")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="conversations")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.NONE)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_conversations",
    )
    team = models.ForeignKey(
        "helpdesk.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="conversations"
    )
    labels = models.ManyToManyField(Label, blank=True, related_name="conversations")
    subject = models.CharField(max_length=200, blank=True)
    # When the customer started waiting for us; cleared by a public agent reply.
    waiting_since = models.DateTimeField(null=True, blank=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    first_response_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True)
    resolution_business_seconds = models.PositiveIntegerField(null=True, blank=True)
    snoozed_until = models.DateTimeField(null=True, blank=True)
    snooze_until_open = models.BooleanField(default=False)
    last_message_at = models.DateTimeField(null=True, blank=True)
    last_customer_message_at = models.DateTimeField(null=True, blank=True)
    last_agent_reply_at = models.DateTimeField(null=True, blank=True)
    last_seq = models.PositiveBigIntegerField(default=0)
    # The seq of the last public message: each customer frame names the one before it (prev_seq), so a
    # page sees a real gap, not the seqs of private notes and timeline lines it never gets.
    last_public_seq = models.PositiveBigIntegerField(default=0)
    # Highest seq each side has seen: drives unread badges and read receipts.
    agent_read_seq = models.PositiveBigIntegerField(default=0)
    customer_read_seq = models.PositiveBigIntegerField(default=0)
    # What the channel told us when the customer wrote: page URL, referrer, browser time zone…
    context = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["status", "waiting_since", "id"], name="conv_status_waiting_idx"),
            models.Index(fields=["assignee", "status", "waiting_since"], name="conv_assignee_status_idx"),
            models.Index(fields=["team", "status", "waiting_since"], name="conv_team_status_idx"),
            models.Index(fields=["inbox", "status"], name="conv_inbox_status_idx"),
            models.Index(fields=["customer", "-last_message_at"], name="conv_customer_recent_idx"),
            models.Index(fields=["status", "snoozed_until"], name="conv_snoozed_idx"),
            models.Index(fields=["-last_message_at", "-id"], name="conv_recent_idx"),
            # The inbox's default order (longest waiting first) over active conversations, for everyone
            # and for "Mine": partial indexes whose order is the list's order, so a page reads no more
            # rows than it shows.
            models.Index(fields=["waiting_since", "id"], name="conv_active_waiting_idx", condition=ACTIVE_Q),
            models.Index(fields=["assignee", "waiting_since", "id"], name="conv_mine_waiting_idx", condition=ACTIVE_Q),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.customer}"

    @property
    def unread_for_agents(self) -> int:
        return max(self.last_seq - self.agent_read_seq, 0)


class Message(models.Model):
    class Sender(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    class Delivery(models.TextChoices):
        PENDING = "pending", "Pending"
        SENT = "sent", "Sent"
        DELIVERED = "delivered", "Delivered"
        READ = "read", "Read"
        FAILED = "failed", "Failed"

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="messages")
    seq = models.PositiveBigIntegerField()
    sender = models.CharField(max_length=10, choices=Sender.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    body = models.TextField()
    is_private = models.BooleanField(default=False, help_text="A note between agents; never shown to the customer.")
    # What a system message records ("assigned", "away_reply", "resolved"…) with its details.
    event = models.CharField(max_length=40, blank=True)
    meta = models.JSONField(default=dict, blank=True)
    client_id = models.CharField(max_length=64, null=True, blank=True)
    # The channel's own id for this message (WhatsApp wamid, Messenger mid…), for idempotent webhooks.
    external_id = models.CharField(max_length=200, null=True, blank=True)
    delivery_status = models.CharField(max_length=10, choices=Delivery.choices, default=Delivery.SENT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["conversation_id", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["conversation", "seq"], name="message_unique_seq"),
            models.UniqueConstraint(
                fields=["conversation", "client_id"],
                condition=Q(client_id__isnull=False),
                name="message_unique_client_id",
            ),
            models.UniqueConstraint(
                fields=["conversation", "external_id"],
                condition=Q(external_id__isnull=False),
                name="message_unique_external_id",
            ),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="message_created_idx"),
            # Delivery statuses from channels name only their own message id.
            models.Index(fields=["external_id"], name="message_external_idx", condition=Q(external_id__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.conversation_id}#{self.seq}"

    @property
    def is_public(self) -> bool:
        return not self.is_private


class EventCounter(models.Model):
    """One row holding the last agent-event number. Taking it last in a transaction makes the event
    log gapless in commit order: a reader who has seen N has seen everything up to N."""

    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return str(self.value)


class Event(models.Model):
    """The agents' event log: what changed, in the order it committed, with who may see it."""

    seq = models.PositiveBigIntegerField(unique=True)
    type = models.CharField(max_length=50)
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    # Audience, copied from the conversation at the time of the event.
    team_id = models.BigIntegerField(null=True, blank=True)
    assignee_id = models.BigIntegerField(null=True, blank=True)
    # Set for events meant for one agent only (a mention, a personal alert).
    agent_id = models.BigIntegerField(null=True, blank=True)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["created_at"], name="event_created_idx")]

    def __str__(self) -> str:
        return f"{self.seq} {self.type}"


class OutboxItem(models.Model):
    """Work to do outside the transaction that caused it: written with its cause, done by a task.

    The unique key makes the intent itself idempotent (one away reply per closed period, one e-mail per
    unseen batch); the task marks it done in the same transaction as its effect."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=40)
    key = models.CharField(max_length=200, unique=True)
    conversation = models.ForeignKey(Conversation, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    message = models.ForeignKey(Message, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    payload = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    run_after = models.DateTimeField()
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    done_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["status", "run_after"], name="outbox_due_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.status})"


class CannedResponse(models.Model):
    """A saved reply an agent inserts by typing ``/shortcut`` in the composer."""

    shortcut = models.SlugField(max_length=50, unique=True)
    title = models.CharField(max_length=100)
    body = models.TextField()
    # None: offered to every agent; otherwise only to the team's members.
    team = models.ForeignKey(
        "helpdesk.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="canned_responses"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["shortcut"]

    def __str__(self) -> str:
        return f"/{self.shortcut}"


class Visitor(models.Model):
    """A browser on the chat page: the server record behind its signed, httpOnly cookie.

    The cookie only carries the signed key; expiry and revocation live here, so a stolen or stale cookie
    can be refused without trusting anything the browser says."""

    key = models.CharField(max_length=64, unique=True)
    inbox = models.ForeignKey(Inbox, on_delete=models.CASCADE, related_name="visitors")
    customer = models.ForeignKey("customers.Customer", on_delete=models.CASCADE, related_name="visitors")
    # Set when the company vouched for the customer with a signed identity token.
    verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_seen_at = models.DateTimeField(null=True, blank=True)
    revoked = models.BooleanField(default=False)

    class Meta:
        indexes = [models.Index(fields=["customer", "inbox"], name="visitor_customer_inbox_idx")]

    def __str__(self) -> str:
        return f"visitor {self.pk} of {self.customer_id}"
