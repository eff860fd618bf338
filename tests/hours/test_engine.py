"""The calendar engine: hand-checked cases in three zones (with a DST change each way) and properties."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hours import engine
from hours.engine import Policy, Window

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
SYDNEY = ZoneInfo("Australia/Sydney")

W = Window
OFFICE = (W(time(9), time(12, 30)), W(time(13, 30), time(18)))
berlin = Policy(time_zone="Europe/Berlin", weekly=(OFFICE,) * 5 + ((), ()))
berlin_de = Policy(time_zone="Europe/Berlin", weekly=berlin.weekly, holiday_country="DE")
berlin_by = Policy(time_zone="Europe/Berlin", weekly=berlin.weekly, holiday_country="DE", holiday_subdivision="BY")
night_shift = Policy(time_zone="America/New_York", weekly=((W(time(22), time(6)),),) * 7)
ny_sunday_gap = Policy(time_zone="America/New_York", weekly=((),) * 6 + ((W(time(2, 30), time(4)),),))
berlin_sunday_fold = Policy(time_zone="Europe/Berlin", weekly=((),) * 6 + ((W(time(1), time(2, 30)),),))
sydney = Policy(time_zone="Australia/Sydney", weekly=((W(time(9), time(17)),),) * 5 + ((), ()))
sydney_nsw = Policy(time_zone="Australia/Sydney", weekly=sydney.weekly, holiday_country="AU", holiday_subdivision="NSW")
always = Policy(time_zone="Europe/Berlin", weekly=((W(time(0), time(0)),),) * 7)
never = Policy(time_zone="Europe/Berlin")


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def local(zone, *args) -> datetime:
    return datetime(*args, tzinfo=zone)


# (policy, instant, expected next_open in UTC). Every expectation was worked out by hand from the
# zone's offsets: CET +1 / CEST +2, EST -5 / EDT -4, AEST +10 / AEDT +11.
NEXT_OPEN_CASES = [
    ("friday evening in Berlin opens monday", berlin, local(BERLIN, 2026, 11, 20, 19), utc(2026, 11, 23, 8)),
    ("berlin lunch break", berlin, local(BERLIN, 2026, 11, 25, 12, 45), utc(2026, 11, 25, 12, 30)),
    ("berlin open now answers now", berlin, local(BERLIN, 2026, 11, 25, 10), utc(2026, 11, 25, 9)),
    ("berlin across spring forward", berlin, local(BERLIN, 2026, 3, 27, 18, 30), utc(2026, 3, 30, 7)),
    ("berlin across fall back", berlin, local(BERLIN, 2026, 10, 23, 18, 30), utc(2026, 10, 26, 8)),
    ("christmas day closes (DE)", berlin_de, local(BERLIN, 2026, 12, 24, 19), utc(2026, 12, 28, 8)),
    ("new year across the year end", berlin_de, local(BERLIN, 2026, 12, 31, 19), utc(2027, 1, 4, 8)),
    ("epiphany only in Bavaria", berlin_by, local(BERLIN, 2027, 1, 5, 19), utc(2027, 1, 7, 8)),
    ("epiphany not nationwide", berlin_de, local(BERLIN, 2027, 1, 5, 19), utc(2027, 1, 6, 8)),
    ("night shift opens at 22:00 EST", night_shift, local(NEW_YORK, 2026, 3, 7, 12), utc(2026, 3, 8, 3)),
    ("night shift still open after spring forward", night_shift, utc(2026, 3, 8, 9, 59), utc(2026, 3, 8, 9, 59)),
    ("night shift closed at 06:00 EDT", night_shift, utc(2026, 3, 8, 10), utc(2026, 3, 9, 2)),
    ("a start inside the gap moves forward", ny_sunday_gap, local(NEW_YORK, 2026, 3, 8, 0), utc(2026, 3, 8, 7, 30)),
    ("sydney across DST end", sydney, local(SYDNEY, 2026, 4, 3, 17, 30), utc(2026, 4, 5, 23)),
    ("sydney across DST start", sydney, local(SYDNEY, 2026, 10, 2, 18), utc(2026, 10, 4, 22)),
    ("sydney easter (NSW)", sydney_nsw, local(SYDNEY, 2026, 4, 2, 17, 30), utc(2026, 4, 6, 23)),
    ("never opens", never, utc(2026, 1, 1), None),
]


@pytest.mark.parametrize(
    ("policy", "at", "expected"), [c[1:] for c in NEXT_OPEN_CASES], ids=[c[0] for c in NEXT_OPEN_CASES]
)
def test_next_open_matches_hand_checked_cases(policy, at, expected):
    assert engine.next_open(policy, at) == expected
    assert engine.is_open(policy, at) == (expected == at)


NEXT_CLOSE_CASES = [
    ("berlin morning closes for lunch", berlin, local(BERLIN, 2026, 11, 25, 10), utc(2026, 11, 25, 11, 30)),
    ("closed now closes after next opening", berlin, local(BERLIN, 2026, 11, 20, 19), utc(2026, 11, 23, 11, 30)),
    ("night shift closes 06:00 EDT", night_shift, local(NEW_YORK, 2026, 3, 7, 23), utc(2026, 3, 8, 10)),
    ("night shift closes 06:00 EST", night_shift, local(NEW_YORK, 2026, 10, 31, 23), utc(2026, 11, 1, 11)),
    ("open around the clock never closes", always, utc(2026, 6, 1), None),
    ("never open never closes", never, utc(2026, 6, 1), None),
]


@pytest.mark.parametrize(
    ("policy", "at", "expected"), [c[1:] for c in NEXT_CLOSE_CASES], ids=[c[0] for c in NEXT_CLOSE_CASES]
)
def test_next_close_matches_hand_checked_cases(policy, at, expected):
    assert engine.next_close(policy, at) == expected


BUSINESS_SECONDS_CASES = [
    (
        "friday hour plus monday hour over spring forward",
        berlin,
        local(BERLIN, 2026, 3, 27, 17),
        local(BERLIN, 2026, 3, 30, 10),
        7200,
    ),
    ("a full berlin week", berlin, local(BERLIN, 2026, 11, 23), local(BERLIN, 2026, 11, 30), 5 * 8 * 3600),
    (
        "night shift loses an hour in spring",
        night_shift,
        local(NEW_YORK, 2026, 3, 7, 21),
        local(NEW_YORK, 2026, 3, 8, 12),
        7 * 3600,
    ),
    (
        "night shift gains an hour in autumn",
        night_shift,
        local(NEW_YORK, 2026, 10, 31, 21),
        local(NEW_YORK, 2026, 11, 1, 12),
        9 * 3600,
    ),
    ("a window starting in the gap", ny_sunday_gap, local(NEW_YORK, 2026, 3, 8), local(NEW_YORK, 2026, 3, 9), 1800),
    (
        "a window ending in the fold keeps both readings",
        berlin_sunday_fold,
        local(BERLIN, 2026, 10, 25),
        local(BERLIN, 2026, 10, 26),
        9000,
    ),
    (
        "sydney friday to monday over DST end",
        sydney,
        local(SYDNEY, 2026, 4, 3, 16),
        local(SYDNEY, 2026, 4, 6, 10),
        7200,
    ),
    ("christmas week in Germany", berlin_de, local(BERLIN, 2026, 12, 21), local(BERLIN, 2026, 12, 28), 4 * 8 * 3600),
    ("backwards is zero", berlin, local(BERLIN, 2026, 11, 25, 12), local(BERLIN, 2026, 11, 25, 10), 0),
]


@pytest.mark.parametrize(
    ("policy", "start", "end", "expected"),
    [c[1:] for c in BUSINESS_SECONDS_CASES],
    ids=[c[0] for c in BUSINESS_SECONDS_CASES],
)
def test_business_seconds_match_hand_checked_cases(policy, start, end, expected):
    assert engine.business_seconds_between(policy, start, end) == expected


def test_it_answers_next_open_for_a_policy_closed_for_months():
    closed = {date(2026, 12, 1) + timedelta(days=n): () for n in range(121)}
    policy = Policy(time_zone="Europe/Berlin", weekly=berlin.weekly, exceptions=closed)
    # Thursday 1 April 2027, 09:00 CEST.
    assert engine.next_open(policy, local(BERLIN, 2026, 11, 30, 19)) == utc(2027, 4, 1, 7)


def test_it_returns_none_when_only_past_exceptions_ever_opened():
    policy = Policy(time_zone="Europe/Berlin", exceptions={date(2026, 1, 3): (W(time(10), time(12)),)})
    assert engine.next_open(policy, utc(2026, 1, 3, 9)) == utc(2026, 1, 3, 9)
    assert engine.next_open(policy, utc(2026, 1, 3, 11)) is None


def test_a_policy_of_date_exceptions_only_knows_when_its_last_window_ends():
    policy = Policy(
        time_zone="Europe/Berlin",
        exceptions={date(2026, 12, 20): (W(time(9), time(12)),), date(2026, 12, 21): (W(time(10), time(14)),)},
    )
    assert engine.next_close(policy, local(BERLIN, 2026, 12, 20, 10)) == utc(2026, 12, 20, 11)
    # The window on the last exception date: its end was unknown (None) before.
    assert engine.next_close(policy, local(BERLIN, 2026, 12, 21, 11)) == utc(2026, 12, 21, 13)
    assert engine.next_close(policy, local(BERLIN, 2026, 12, 20, 20)) == utc(2026, 12, 21, 13)
    assert engine.next_close(policy, local(BERLIN, 2026, 12, 21, 15)) is None


def test_special_hours_replace_the_weekly_windows_on_their_date():
    policy = Policy(
        time_zone="Europe/Berlin", weekly=berlin.weekly, exceptions={date(2026, 12, 24): (W(time(10), time(14)),)}
    )
    assert not engine.is_open(policy, local(BERLIN, 2026, 12, 24, 9, 30))
    assert engine.is_open(policy, local(BERLIN, 2026, 12, 24, 13))
    assert engine.next_close(policy, local(BERLIN, 2026, 12, 24, 10)) == utc(2026, 12, 24, 13)


def test_the_engine_refuses_naive_datetimes():
    with pytest.raises(ValueError, match="aware"):
        engine.is_open(berlin, datetime(2026, 1, 1, 10))


def test_it_explains_zero_length_and_overlapping_windows():
    assert "no time at all" in engine.window_problem(time(9), time(9))
    assert engine.window_problem(time(0), time(0)) is None
    problems = engine.weekly_overlaps([(0, time(9), time(13)), (0, time(12), time(18)), (2, time(9), time(10))])
    assert problems == ["Monday 09:00–13:00 overlaps Monday 12:00–18:00; make one end before the other starts."]
    # Sunday night into Monday morning wraps around the week.
    assert engine.weekly_overlaps([(6, time(22), time(6)), (0, time(5), time(9))])


# --- Properties ----------------------------------------------------------------------------------

ZONES = [
    "Europe/Berlin", "America/New_York", "Australia/Sydney", "Australia/Lord_Howe", "America/Santiago",
    "Asia/Kolkata", "Pacific/Chatham", "UTC",
]  # fmt: skip
quarter_hours = st.builds(lambda q: time(q // 4, (q % 4) * 15), st.integers(0, 95))
windows = st.builds(Window, quarter_hours, quarter_hours)
days = st.lists(windows, max_size=3).map(tuple)


@st.composite
def policies(draw):
    weekly = tuple(draw(days) for _ in range(7))
    exception_dates = draw(st.lists(st.dates(date(2025, 12, 1), date(2027, 2, 1)), max_size=6))
    exceptions = {d: draw(days) for d in exception_dates}
    country = draw(st.sampled_from(["", "", "DE", "US"]))
    return Policy(time_zone=draw(st.sampled_from(ZONES)), weekly=weekly, exceptions=exceptions, holiday_country=country)


instants = st.datetimes(datetime(2026, 1, 1), datetime(2026, 12, 31), timezones=st.just(UTC))
spans = st.timedeltas(timedelta(0), timedelta(days=9))
relaxed = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@relaxed
@given(policies(), instants)
def test_next_open_is_open_and_nothing_before_it_is(policy, at):
    opens = engine.next_open(policy, at)
    if opens is None:
        assert engine.business_time_between(policy, at, at + timedelta(days=60)) == timedelta(0)
        return
    assert opens >= at
    assert engine.is_open(policy, opens)
    assert engine.business_time_between(policy, at, opens) == timedelta(0)
    assert not engine.is_open(policy, at + (opens - at) / 2) or opens == at
    assert engine.is_open(policy, at) == (opens == at)


@relaxed
@given(policies(), instants)
def test_next_close_is_closed_and_everything_before_it_is_open(policy, at):
    closes = engine.next_close(policy, at)
    if closes is None:
        return
    opens = engine.next_open(policy, at)
    assert opens is not None and closes > opens
    assert not engine.is_open(policy, closes)
    assert engine.business_time_between(policy, opens, closes) == closes - opens


@relaxed
@given(policies(), instants, spans, spans)
def test_business_time_is_additive_over_a_split_point(policy, start, first, second):
    middle, end = start + first, start + first + second
    whole = engine.business_time_between(policy, start, end)
    assert whole == engine.business_time_between(policy, start, middle) + engine.business_time_between(
        policy, middle, end
    )
    assert engine.business_seconds_between(policy, start, end) == pytest.approx(
        engine.business_seconds_between(policy, start, middle) + engine.business_seconds_between(policy, middle, end)
    )
    assert timedelta(0) <= whole <= end - start


def test_an_around_the_clock_policy_closes_for_a_closed_date_ahead():
    policy = Policy(time_zone="Europe/Berlin", weekly=always.weekly, exceptions={date(2026, 6, 3): ()})
    assert engine.next_close(policy, local(BERLIN, 2026, 6, 1, 12)) == local(BERLIN, 2026, 6, 3)
    assert engine.next_close(policy, local(BERLIN, 2026, 6, 4, 12)) is None
    assert engine.next_open(policy, local(BERLIN, 2026, 6, 3, 12)) == local(BERLIN, 2026, 6, 4)


def test_an_unknown_holiday_country_means_no_holidays_rather_than_a_crash():
    policy = Policy(time_zone="Europe/Berlin", weekly=berlin.weekly, holiday_country="XX")
    assert engine.next_open(policy, local(BERLIN, 2026, 12, 24, 19)) == utc(2026, 12, 25, 8)
