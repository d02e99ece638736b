"""Weekly schedules become bookable slots: the right days and Amsterdam hours, across the change
to summer time, made once, and never touching what is booked already."""

import datetime
from zoneinfo import ZoneInfo

import pytest

from contractors import tasks
from contractors.models import Slot, Weekday
from contractors.services import daypart_defaults_ensure, slots_generate

from . import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
UTC = datetime.UTC


def utc(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=UTC)


def slot_rows() -> list[tuple]:
    return [
        (s.date, s.daypart.kind, s.starts_at, s.ends_at, s.capacity, s.booked)
        for s in Slot.objects.select_related("daypart").order_by("starts_at")
    ]


@pytest.fixture
def schedules(chain):
    """Mondays two mornings' visits; Sundays (emergency cover) one afternoon visit."""
    return [
        factories.WeeklyScheduleFactory(
            area=chain.area,
            contractor=chain.contractor,
            daypart=chain.morning,
            weekday=Weekday.MONDAY,
            capacity=2,
        ),
        factories.WeeklyScheduleFactory(
            area=chain.area,
            contractor=chain.contractor,
            daypart=chain.afternoon,
            weekday=Weekday.SUNDAY,
            capacity=1,
        ),
    ]


def test_a_weekly_schedule_becomes_slots_in_amsterdam_time_across_the_summer_time_change(
    schedules,
):
    # given two weeks from Monday 23 March 2026; summer time starts on Sunday 29 March at 02:00

    # when
    created = slots_generate(start=datetime.date(2026, 3, 23), weeks=2)

    # then each schedule's weekday has its daypart's wall-clock hours, in winter (UTC+1) and
    # summer time (UTC+2), including on the day of the change itself
    assert created == 4
    assert slot_rows() == [
        (datetime.date(2026, 3, 23), "morning", utc(2026, 3, 23, 7), utc(2026, 3, 23, 11), 2, 0),
        (datetime.date(2026, 3, 29), "afternoon", utc(2026, 3, 29, 10), utc(2026, 3, 29, 15), 1, 0),
        (datetime.date(2026, 3, 30), "morning", utc(2026, 3, 30, 6), utc(2026, 3, 30, 10), 2, 0),
        (datetime.date(2026, 4, 5), "afternoon", utc(2026, 4, 5, 10), utc(2026, 4, 5, 15), 1, 0),
    ]
    for slot in Slot.objects.all():
        local = slot.starts_at.astimezone(AMSTERDAM)
        assert local.date() == slot.date
        assert local.weekday() in (Weekday.MONDAY, Weekday.SUNDAY)
        assert local.time() == slot.daypart.start_time
        assert slot.ends_at.astimezone(AMSTERDAM).time() == slot.daypart.end_time
    assert {(s.organisation_id, s.contractor_id, s.area_id) for s in Slot.objects.all()} == {
        (schedules[0].organisation_id, schedules[0].contractor_id, schedules[0].area_id)
    }


def test_the_change_back_to_winter_time_keeps_the_wall_clock_hours(chain):
    # given a Sunday morning schedule; winter time returns on Sunday 25 October 2026 at 03:00
    factories.WeeklyScheduleFactory(
        area=chain.area, contractor=chain.contractor, daypart=chain.morning, weekday=Weekday.SUNDAY
    )

    # when
    slots_generate(start=datetime.date(2026, 10, 18), weeks=2)

    # then
    assert [(date, start, end) for date, _kind, start, end, *_ in slot_rows()] == [
        (datetime.date(2026, 10, 18), utc(2026, 10, 18, 6), utc(2026, 10, 18, 10)),
        (datetime.date(2026, 10, 25), utc(2026, 10, 25, 7), utc(2026, 10, 25, 11)),
    ]


def test_generating_again_makes_nothing_new_and_keeps_bookings(schedules):
    # given the slots of two weeks, one of them with a visit booked
    start = datetime.date(2026, 3, 23)
    slots_generate(start=start, weeks=2)
    Slot.objects.filter(date=start).update(booked=1)
    before = slot_rows()
    # and the planner gives Mondays more visits from now on
    schedules[0].capacity = 5
    schedules[0].save(update_fields=["capacity"])

    # when it runs again over the same two weeks
    created = slots_generate(start=start, weeks=2)

    # then nothing is added or changed: existing slots keep their capacity and bookings
    assert created == 0
    assert slot_rows() == before


def test_generating_a_later_window_adds_only_the_new_days(schedules):
    # given
    slots_generate(start=datetime.date(2026, 3, 23), weeks=2)
    Slot.objects.filter(date=datetime.date(2026, 3, 30)).update(booked=2)

    # when the window moves one week on
    created = slots_generate(start=datetime.date(2026, 3, 30), weeks=2)

    # then only the third week is new, with the current capacity, and the booking stands
    assert created == 2
    assert [(date, capacity, booked) for date, _k, _s, _e, capacity, booked in slot_rows()] == [
        (datetime.date(2026, 3, 23), 2, 0),
        (datetime.date(2026, 3, 29), 1, 0),
        (datetime.date(2026, 3, 30), 2, 2),
        (datetime.date(2026, 4, 5), 1, 0),
        (datetime.date(2026, 4, 6), 2, 0),
        (datetime.date(2026, 4, 12), 1, 0),
    ]


def test_the_daily_task_makes_four_weeks_from_today(now, schedules):
    # given it is Tuesday 10 March 2026

    # when the periodic task runs, twice
    counts = [tasks.slots_generate.delay().get() for _ in range(2)]

    # then four Mondays and four Sundays from today on, once
    assert counts == [8, 0]
    assert [date for date, *_ in slot_rows()] == [
        datetime.date(2026, 3, 15),
        datetime.date(2026, 3, 16),
        datetime.date(2026, 3, 22),
        datetime.date(2026, 3, 23),
        datetime.date(2026, 3, 29),
        datetime.date(2026, 3, 30),
        datetime.date(2026, 4, 5),
        datetime.date(2026, 4, 6),
    ]


def test_a_contractor_gets_the_standard_dayparts_once(db):
    # given
    contractor = factories.ContractorFactory()

    # when
    daypart_defaults_ensure(contractor=contractor)
    dayparts = daypart_defaults_ensure(contractor=contractor)

    # then
    assert [(d.kind, d.start_time, d.end_time) for d in dayparts] == [
        ("morning", datetime.time(8), datetime.time(12)),
        ("afternoon", datetime.time(12), datetime.time(17)),
    ]
