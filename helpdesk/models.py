"""The staff: agents (the custom user) and the teams they work in."""

import zoneinfo

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not an IANA time zone (for example Europe/Berlin).")


class Agent(AbstractUser):
    class Availability(models.TextChoices):
        ONLINE = "online", "Online"
        AWAY = "away", "Away"
        OFFLINE = "offline", "Offline"

    display_name = models.CharField(max_length=150, blank=True)
    availability = models.CharField(max_length=10, choices=Availability.choices, default=Availability.OFFLINE)
    capacity = models.PositiveSmallIntegerField(
        default=5, help_text="How many open conversations this agent can carry at once."
    )
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # Presence lives in the database, not only in Redis, so a Redis restart forgets nobody: the inbox
    # socket's heartbeat writes when it last heard the agent; an agent who chose "offline" stays offline.
    presence_seen_at = models.DateTimeField(null=True, blank=True, editable=False)
    offline_by_choice = models.BooleanField(default=False, editable=False)
    offline_since = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        indexes = [models.Index(fields=["availability"], name="agent_availability_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.display_name or self.get_full_name() or self.username

    @property
    def is_supervisor(self) -> bool:
        return self.is_staff or self.is_superuser


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    members = models.ManyToManyField(Agent, related_name="teams", blank=True)
    business_hours_policy = models.ForeignKey(
        "hours.BusinessHoursPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="teams"
    )
    auto_assign = models.BooleanField(
        default=True, help_text="Hand new conversations to the least-loaded online member."
    )
    redistribute_on_offline = models.BooleanField(
        default=False, help_text="When a member goes offline, hand their open conversations to others."
    )
    release_after_offline_minutes = models.PositiveIntegerField(
        null=True,
        blank=True,
        default=30,
        help_text="Hand back a member's open conversations once they have been offline this long (to an "
        "online colleague, else the team queue). Blank keeps them with the member.",
    )
    unassigned_alert_minutes = models.PositiveIntegerField(
        default=15, help_text="Alert the team when a conversation waits unassigned longer than this."
    )
    # Round-robin pointer: among equally loaded agents the next one after this one gets the conversation.
    last_assigned_agent = models.ForeignKey(
        Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
