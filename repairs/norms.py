"""Norm times: the working-day calendar (weekends and Dutch public holidays, from the
maintained `holidays` package) and the deadlines a contract's norms give a request.

A working day is a weekday in Europe/Amsterdam that is not a public holiday of the
Netherlands as `holidays` lists them (New Year, Good Friday, Easter, King's Day — on the 26th
when the 27th is a Sunday —, Liberation Day in lustrum years, Ascension, Whitsun,
Christmas). Deadlines counted in working days end at midnight (Amsterdam) after the n-th
working day following the day of the report, so they read as a date ("done by 14 April")
and fall right on either side of a change of clocks; an emergency's norm is counted in
real hours from the report."""

import datetime
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays
from django.conf import settings
from django.utils import formats

from contractors.models import Contract

AMSTERDAM = ZoneInfo(settings.TIME_ZONE)

# Defaults of Dutch practice, also the defaults of the contract's fields.
EMERGENCY_ON_SITE_HOURS = 24
APPOINTMENT_WORKING_DAYS = 5
COMPLETION_WORKING_DAYS = 10


@lru_cache(maxsize=64)
def _public_holidays(year: int) -> frozenset[datetime.date]:
    return frozenset(holidays.country_holidays("NL", years=year))


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and day not in _public_holidays(day.year)


def working_days_after(start: datetime.date, n: int) -> datetime.date:
    """The n-th working day after `start` (start itself never counts); n=0 is start."""
    day = start
    while n > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def working_day_before(moment: datetime.datetime) -> datetime.datetime:
    """The same Amsterdam wall-clock time on the working day before `moment`'s date: the
    moment one working day ago."""
    local = moment.astimezone(AMSTERDAM)
    day = local.date() - datetime.timedelta(days=1)
    while not is_working_day(day):
        day -= datetime.timedelta(days=1)
    return datetime.datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=AMSTERDAM)


def end_of_day(day: datetime.date) -> datetime.datetime:
    """Midnight in Amsterdam after `day`: the first instant the day is over."""
    return datetime.datetime.combine(
        day + datetime.timedelta(days=1), datetime.time.min, tzinfo=AMSTERDAM
    )


@dataclass(frozen=True)
class Deadlines:
    visit_due_at: datetime.datetime
    complete_due_at: datetime.datetime


def deadlines_for(
    *, reported_at: datetime.datetime, is_urgent: bool, contract: Contract
) -> Deadlines:
    """When the contract's norms want the contractor on site and the repair done (VERA
    uitersteGereeddatum), counted from the report."""
    if is_urgent:
        on_site = reported_at + datetime.timedelta(hours=contract.emergency_on_site_hours)
        return Deadlines(visit_due_at=on_site, complete_due_at=on_site)
    reported_on = reported_at.astimezone(AMSTERDAM).date()
    return Deadlines(
        visit_due_at=end_of_day(working_days_after(reported_on, contract.appointment_working_days)),
        complete_due_at=end_of_day(
            working_days_after(reported_on, contract.completion_working_days)
        ),
    )


def last_day(due_at: datetime.datetime) -> datetime.date:
    """The date a working-day deadline reads as: the last day on which it is still in time."""
    return (due_at.astimezone(AMSTERDAM) - datetime.timedelta(microseconds=1)).date()


def deadline_text(repair_request, *, field: str = "complete_due_at") -> str:
    """A request's latest completion (or, with field="visit_due_at", its latest visit) as
    people read it, in the active language: an emergency's to the minute ('4 March 2026
    10:15'), a working-day deadline as its last day ('14 April 2026'); '' without one."""
    due = getattr(repair_request, field)
    if due is None:
        return ""
    if repair_request.is_urgent:
        return formats.date_format(due.astimezone(AMSTERDAM), "j F Y H:i")
    return formats.date_format(last_day(due), "j F Y")


DEADLINE_FIELDS = (
    "visit_due_at",
    "complete_due_at",
    "escalated_to_planner_at",
    "escalated_to_staff_at",
)


def deadlines_apply(repair_request, contract: Contract) -> tuple[str, ...]:
    """Set a request's deadlines from the contract it is routed to (again: a request routed
    anew starts its escalation afresh). Returns the fields to save.

    Planned maintenance and project orders (VERA PLN / PRJ) keep no repair norm: their latest
    completion is the project's end, set when ordered; nothing is changed."""
    if getattr(repair_request, "maintenance_kind", "REP") != "REP":
        return ()
    due = deadlines_for(
        reported_at=repair_request.created_at, is_urgent=repair_request.is_urgent, contract=contract
    )
    repair_request.visit_due_at = due.visit_due_at
    repair_request.complete_due_at = due.complete_due_at
    repair_request.escalated_to_planner_at = None
    repair_request.escalated_to_staff_at = None
    return DEADLINE_FIELDS
