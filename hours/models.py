"""Business-hours policies. The calendar engine reads them; nothing here imports another app."""

from datetime import datetime

import holidays
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from hours import engine


def validate_time_zone(value: str) -> None:
    if not engine.is_time_zone(value):
        raise ValidationError(
            f"“{value}” is not a time zone we know. Use an IANA name such as Europe/Berlin, "
            "America/New_York or Asia/Tokyo."
        )


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class BusinessHoursPolicy(models.Model):
    name = models.CharField(max_length=100, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    is_default = models.BooleanField(default=False, help_text="Used where neither team nor inbox names one.")
    holiday_country = models.CharField(
        max_length=3,
        blank=True,
        help_text="ISO country code (DE, US, FR…) to close on its public holidays; blank to ignore holidays.",
    )
    holiday_subdivision = models.CharField(
        max_length=10, blank=True, help_text="Optional state or region code within the country (BY, CA…)."
    )
    away = models.BooleanField(
        default=False, help_text="Switch the team to away: customers get the “stepped away” reply during hours."
    )
    away_until = models.DateTimeField(
        null=True, blank=True, help_text="When the away switch turns itself off; blank keeps it on until unset."
    )
    default_language = models.CharField(
        max_length=10, default="en", help_text="Language of the away texts used when the customer's has none."
    )

    class Meta:
        verbose_name_plural = "business hours policies"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        errors = {}
        country = (self.holiday_country or "").upper()
        self.holiday_country = country
        self.holiday_subdivision = (self.holiday_subdivision or "").upper()
        if country:
            supported = holidays.list_supported_countries()
            if country not in supported:
                errors["holiday_country"] = f"“{country}” is not a country the holidays calendar knows (try DE, US…)."
            elif self.holiday_subdivision and self.holiday_subdivision not in supported[country]:
                errors["holiday_subdivision"] = (
                    f"“{self.holiday_subdivision}” is not a subdivision of {country}; "
                    f"known ones: {', '.join(supported[country]) or 'none'}."
                )
        elif self.holiday_subdivision:
            errors["holiday_subdivision"] = "A subdivision needs a holiday country."
        if self.is_default:
            other = BusinessHoursPolicy.objects.filter(is_default=True).exclude(pk=self.pk).first()
            if other is not None:
                errors["is_default"] = f"“{other}” is already the default policy; untick it there first."
        if errors:
            raise ValidationError(errors)

    def away_switched_on(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.away and (self.away_until is None or self.away_until > now)


class WeeklyWindow(models.Model):
    policy = models.ForeignKey(BusinessHoursPolicy, on_delete=models.CASCADE, related_name="windows")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField(
        help_text="Earlier than the opening time runs past midnight; 00:00–00:00 is the whole day."
    )

    class Meta:
        ordering = ["weekday", "opens_at"]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"

    def clean(self) -> None:
        problem = engine.window_problem(self.opens_at, self.closes_at)
        if problem:
            raise ValidationError({"closes_at": problem})


class DateException(models.Model):
    """One date with other hours than usual: closed (no times) or a special window (several rows make
    several windows)."""

    policy = models.ForeignKey(BusinessHoursPolicy, on_delete=models.CASCADE, related_name="exceptions")
    date = models.DateField()
    label = models.CharField(max_length=100, help_text="Shown to supervisors, e.g. “Company retreat”.")
    opens_at = models.TimeField(null=True, blank=True, help_text="Blank (with closing time) closes the whole day.")
    closes_at = models.TimeField(null=True, blank=True)

    class Meta:
        ordering = ["date", "opens_at"]
        indexes = [models.Index(fields=["policy", "date"], name="hours_exception_date_idx")]

    def __str__(self) -> str:
        if self.is_closed:
            return f"{self.date} closed ({self.label})"
        return f"{self.date} {self.opens_at:%H:%M}–{self.closes_at:%H:%M} ({self.label})"

    @property
    def is_closed(self) -> bool:
        return self.opens_at is None and self.closes_at is None

    def clean(self) -> None:
        if self.is_closed:
            return
        problem = engine.window_problem(self.opens_at, self.closes_at)
        if problem:
            raise ValidationError({"closes_at": problem})


class AwayText(models.Model):
    policy = models.ForeignKey(BusinessHoursPolicy, on_delete=models.CASCADE, related_name="away_texts")
    language = models.CharField(max_length=10, help_text="Language code such as en or de.")
    closed_text = models.TextField(
        help_text="Sent when a customer writes while we are closed. {next_open} becomes e.g. “Monday at 09:00”."
    )
    stepped_away_text = models.TextField(
        help_text="Sent during hours when the team switched to away or nobody is online."
    )

    class Meta:
        ordering = ["language"]
        constraints = [models.UniqueConstraint(fields=["policy", "language"], name="hours_away_text_unique_lang")]

    def __str__(self) -> str:
        return self.language
