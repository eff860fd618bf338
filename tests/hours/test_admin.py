"""The policy admin: inlines save, and bad input is refused with an explanation."""

import pytest

from hours.models import BusinessHoursPolicy, WeeklyWindow

pytestmark = pytest.mark.django_db


def form_data(**overrides):
    data = {
        "name": "Berlin",
        "time_zone": "Europe/Berlin",
        "holiday_country": "DE",
        "holiday_subdivision": "",
        "default_language": "en",
        "windows-TOTAL_FORMS": "2",
        "windows-INITIAL_FORMS": "0",
        "windows-0-weekday": "0",
        "windows-0-opens_at": "09:00",
        "windows-0-closes_at": "12:30",
        "windows-1-weekday": "0",
        "windows-1-opens_at": "13:30",
        "windows-1-closes_at": "18:00",
        "exceptions-TOTAL_FORMS": "1",
        "exceptions-INITIAL_FORMS": "0",
        "exceptions-0-date": "2026-12-24",
        "exceptions-0-label": "Christmas Eve",
        "exceptions-0-opens_at": "",
        "exceptions-0-closes_at": "",
        "away_texts-TOTAL_FORMS": "1",
        "away_texts-INITIAL_FORMS": "0",
        "away_texts-0-language": "de",
        "away_texts-0-closed_text": "Wir sind {next_open} wieder da.",
        "away_texts-0-stepped_away_text": "Kurz weg.",
    }
    data.update(overrides)
    return data


def test_a_supervisor_saves_a_policy_with_its_inlines(admin_client):
    response = admin_client.post("/admin/hours/businesshourspolicy/add/", form_data())
    assert response.status_code == 302, response.content.decode()[:2000]
    policy = BusinessHoursPolicy.objects.get(name="Berlin")
    assert policy.windows.count() == 2
    assert policy.exceptions.get().is_closed
    assert policy.away_texts.get().language == "de"


@pytest.mark.parametrize(
    ("overrides", "explanation"),
    [
        ({"time_zone": "Europe/Berlinn"}, "is not a time zone we know"),
        ({"windows-1-opens_at": "12:00"}, "Monday 09:00–12:30 overlaps Monday 12:00–18:00"),
        ({"windows-1-closes_at": "13:30"}, "lasts no time at all"),
        ({"holiday_country": "XX"}, "is not a country the holidays calendar knows"),
        ({"holiday_subdivision": "ZZ"}, "is not a subdivision of DE"),
        (
            {"exceptions-TOTAL_FORMS": "2", "exceptions-1-date": "2026-12-24", "exceptions-1-label": "Short day",
             "exceptions-1-opens_at": "10:00", "exceptions-1-closes_at": "12:00"},
            "marked closed all day and also has special hours",
        ),
    ],
    ids=["time-zone", "overlap", "zero-length", "country", "subdivision", "closed-and-open"],
)  # fmt: skip
def test_bad_policies_are_refused_with_an_explanation(admin_client, overrides, explanation):
    response = admin_client.post("/admin/hours/businesshourspolicy/add/", form_data(**overrides))
    assert response.status_code == 200
    assert explanation in response.content.decode()
    assert not BusinessHoursPolicy.objects.exists()
    assert not WeeklyWindow.objects.exists()


def test_a_night_window_running_into_a_morning_window_is_an_overlap(admin_client):
    overrides = {"windows-0-weekday": "6", "windows-0-opens_at": "22:00", "windows-0-closes_at": "14:00"}
    response = admin_client.post("/admin/hours/businesshourspolicy/add/", form_data(**overrides))
    assert response.status_code == 200
    assert "Sunday 22:00–14:00 overlaps Monday 13:30–18:00" in response.content.decode()


def test_there_is_only_one_default_policy(admin_client):
    BusinessHoursPolicy.objects.create(name="Old default", is_default=True)
    response = admin_client.post("/admin/hours/businesshourspolicy/add/", form_data(is_default="on"))
    assert response.status_code == 200
    assert "is already the default policy" in response.content.decode()


def test_the_change_page_shows_the_status_now_and_the_next_holidays(admin_client):
    admin_client.post("/admin/hours/businesshourspolicy/add/", form_data())
    policy = BusinessHoursPolicy.objects.get(name="Berlin")
    page = admin_client.get(f"/admin/hours/businesshourspolicy/{policy.pk}/change/").content.decode()
    assert "Closed until" in page or "Open" in page
    assert "Christmas" in page or "Weihnacht" in page or "New Year" in page or "Neujahr" in page
    listing = admin_client.get("/admin/hours/businesshourspolicy/").content.decode()
    assert "Berlin" in listing
