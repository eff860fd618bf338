"""Supervisors edit policies here: weekly windows, date exceptions and away texts as inlines, with
validation that says what is wrong and how to fix it."""

from collections.abc import Iterator
from datetime import date
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from hours import engine
from hours.models import AwayText, BusinessHoursPolicy, DateException, WeeklyWindow
from hours.snapshot import PREFETCH, policy_snapshot


def _live_rows(formset: forms.BaseFormSet[Any]) -> Iterator[dict[str, Any]]:
    for form in formset.forms:
        if not hasattr(form, "cleaned_data") or not form.cleaned_data or form.cleaned_data.get("DELETE"):
            continue
        yield form.cleaned_data


class WeeklyWindowFormSet(forms.BaseInlineFormSet[WeeklyWindow, BusinessHoursPolicy, Any]):
    def clean(self) -> None:
        super().clean()
        rows = [
            (row["weekday"], row["opens_at"], row["closes_at"])
            for row in _live_rows(self)
            if row.get("weekday") is not None and row.get("opens_at") and row.get("closes_at") is not None
            and not engine.window_problem(row["opens_at"], row["closes_at"])
        ]  # fmt: skip
        problems = engine.weekly_overlaps(rows)
        if problems:
            raise ValidationError(problems)


class DateExceptionFormSet(forms.BaseInlineFormSet[DateException, BusinessHoursPolicy, Any]):
    def clean(self) -> None:
        super().clean()
        by_date: dict[date, list[dict[str, Any]]] = {}
        for row in _live_rows(self):
            if row.get("date") is None:
                continue
            by_date.setdefault(row["date"], []).append(row)
        problems: list[str] = []
        for day, rows in sorted(by_date.items()):
            closed = [row for row in rows if row.get("opens_at") is None and row.get("closes_at") is None]
            windows = [(row["opens_at"], row["closes_at"]) for row in rows if row not in closed]
            if closed and windows:
                problems.append(
                    f"{day:%d %b %Y} is marked closed all day and also has special hours; keep one or the other."
                )
            valid = [(start, end) for start, end in windows if not engine.window_problem(start, end)]
            problems += engine.day_overlaps(day, valid)
        if problems:
            raise ValidationError(problems)


class WeeklyWindowInline(admin.TabularInline[WeeklyWindow, BusinessHoursPolicy]):
    model = WeeklyWindow
    formset = WeeklyWindowFormSet
    extra = 1


class DateExceptionInline(admin.TabularInline[DateException, BusinessHoursPolicy]):
    model = DateException
    formset = DateExceptionFormSet
    extra = 1


class AwayTextInline(admin.StackedInline[AwayText, BusinessHoursPolicy]):
    model = AwayText
    extra = 0


@admin.register(BusinessHoursPolicy)
class BusinessHoursPolicyAdmin(admin.ModelAdmin[BusinessHoursPolicy]):
    list_display = ["name", "time_zone", "holiday_country", "is_default", "away", "status_now"]
    list_filter = ["away", "is_default"]
    search_fields = ["name"]
    inlines = [WeeklyWindowInline, DateExceptionInline, AwayTextInline]
    readonly_fields = ["status_now", "upcoming_holidays"]
    fieldsets = [
        (None, {"fields": ["name", "time_zone", "is_default", "status_now"]}),
        ("Public holidays", {"fields": ["holiday_country", "holiday_subdivision", "upcoming_holidays"]}),
        ("Away", {"fields": ["away", "away_until", "default_language"]}),
    ]

    def get_queryset(self, request: HttpRequest) -> QuerySet[BusinessHoursPolicy]:
        return super().get_queryset(request).prefetch_related(*PREFETCH)

    @admin.display(description="Now")
    def status_now(self, policy: BusinessHoursPolicy) -> str:
        if policy.pk is None:
            return "—"
        snapshot = policy_snapshot(policy)
        now = timezone.now()
        if engine.is_open(snapshot, now):
            closes = engine.next_close(snapshot, now)
            until = f" until {closes.astimezone(snapshot.zone):%a %H:%M}" if closes else ""
            return f"Open{until}" + (" (switched to away)" if policy.away_switched_on(now) else "")
        opens = engine.next_open(snapshot, now)
        return f"Closed until {opens.astimezone(snapshot.zone):%a %d %b %H:%M}" if opens else "Never opens"

    @admin.display(description="Next public holidays")
    def upcoming_holidays(self, policy: BusinessHoursPolicy) -> str:
        if not policy.holiday_country:
            return "Public holidays are ignored."
        today = timezone.now().date()
        found: list[str] = []
        for year in (today.year, today.year + 1):
            for day in sorted(engine.holiday_dates(policy.holiday_country, policy.holiday_subdivision, year)):
                if day >= today and len(found) < 5:
                    name = engine.holiday_name(policy.holiday_country, policy.holiday_subdivision, day)
                    found.append(f"{day:%a %d %b %Y} ({name})")
        return "; ".join(found) or "None ahead (check the country and subdivision)."
