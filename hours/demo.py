"""The demo installation's business hours: a Berlin office with a lunch break, German holidays and
away texts in English and German."""

from datetime import time

from django.db import transaction

from hours.models import AwayText, BusinessHoursPolicy, WeeklyWindow

DEMO_NAME = "Berlin office"
DEMO_TEXTS = {
    "en": (
        "Thanks for your message! Our Berlin team is out of the office and back {next_open}. "
        "We'll answer you then — no need to write again.",
        "Thanks for your message! We've stepped away for a moment and will answer as soon as we're back.",
    ),
    "de": (
        "Danke für Ihre Nachricht! Unser Team in Berlin ist {next_open} wieder für Sie da. "
        "Sie müssen nicht noch einmal schreiben.",
        "Danke für Ihre Nachricht! Wir sind kurz nicht am Platz und antworten, sobald wir zurück sind.",
    ),
}


@transaction.atomic
def demo_policy_create(*, name: str = DEMO_NAME, is_default: bool = True) -> BusinessHoursPolicy:
    """Mon–Fri 09:00–12:30 and 13:30–18:00 Europe/Berlin, closed on German public holidays.
    Safe to run again: an existing policy of that name keeps the hours it has."""
    policy, created = BusinessHoursPolicy.objects.get_or_create(
        name=name,
        defaults={"time_zone": "Europe/Berlin", "holiday_country": "DE", "default_language": "en"},
    )
    if created and is_default and not BusinessHoursPolicy.objects.filter(is_default=True).exists():
        policy.is_default = True
        policy.save(update_fields=["is_default"])
    # A policy of that name without any hours (an older demo) would never open: give it the office's.
    if not policy.windows.exists() and not policy.exceptions.exists():
        for weekday in range(5):
            WeeklyWindow.objects.create(policy=policy, weekday=weekday, opens_at=time(9), closes_at=time(12, 30))
            WeeklyWindow.objects.create(policy=policy, weekday=weekday, opens_at=time(13, 30), closes_at=time(18))
        if not policy.holiday_country:
            policy.holiday_country = "DE"
            policy.save(update_fields=["holiday_country"])
    for language, (closed, stepped) in DEMO_TEXTS.items():
        AwayText.objects.get_or_create(
            policy=policy, language=language, defaults={"closed_text": closed, "stepped_away_text": stepped}
        )
    return policy
