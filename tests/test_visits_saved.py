"""The KPI "visits saved": jobs booked to ride along on another job's visit, per month,
contractor and association (surveys.kpis.visits_saved_rows), and on the staff's dashboard."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.scoping import ALL_ASSOCIATIONS
from repairs.models import Appointment
from repairs.services.appointments import Origin, appointment_join, appointment_plan
from surveys.kpis import visits_saved_rows

from . import factories

DASHBOARD = "admin:surveys_kpidashboard_changelist"


def combined(chain, planner, *, riders: int, days: int = 4) -> Appointment:
    """A planned visit with `riders` jobs riding along on it."""
    host = appointment_plan(
        repair_request=factories.routed_request_create(chain),
        slot_id=chain.slot(days=days, capacity=1).pk,
        actor=planner,
    )
    for _ in range(riders):
        appointment_join(
            repair_request=factories.routed_request_create(chain),
            visit=host,
            actor=planner,
            origin=Origin.PLANNER,
        )
    return host


def booked_months_ago(host: Appointment, months: int) -> None:
    """Its riders booked `months` months before now (the 15th, to stay inside the month)."""
    day = timezone.localdate().replace(day=15)
    for _ in range(months):
        day = (day.replace(day=1) - datetime.timedelta(days=1)).replace(day=15)
    host.riders.update(
        created_at=datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC)
    )


@pytest.mark.django_db
def test_visits_saved_are_the_riders_booked_per_month(chain, other_chain, planner):
    # given two riders booked this month and one last month at the chain's contractor, and
    # one at another association's
    this_month = timezone.localdate().replace(day=1)
    last_month = (this_month - datetime.timedelta(days=1)).replace(day=1)
    combined(chain, planner, riders=2)
    booked_months_ago(combined(chain, planner, riders=1, days=5), 1)
    other_planner = factories.planner_create(other_chain.contractor)
    combined(other_chain, other_planner, riders=1)

    # when the figure is read for the chain's association
    rows = visits_saved_rows(
        organisation_ids=[chain.organisation.pk], start=last_month, end=this_month
    )

    # then one row per month, the riders counted
    assert [(r["month"], r["contractor"], r["organisation"], r["saved"]) for r in rows] == [
        (last_month, chain.contractor.name, chain.organisation.name, 1),
        (this_month, chain.contractor.name, chain.organisation.name, 2),
    ]
    everyone = visits_saved_rows(
        organisation_ids=ALL_ASSOCIATIONS, start=this_month, end=this_month
    )
    assert sorted(r["saved"] for r in everyone) == [1, 2]
    assert (
        visits_saved_rows(
            organisation_ids=[chain.organisation.pk],
            start=this_month,
            end=this_month,
            contractor_id=other_chain.contractor.pk,
        )
        == []
    )


@pytest.mark.django_db
def test_the_dashboard_shows_the_visits_saved_to_its_own_staff(
    chain, other_chain, planner, staff_user, other_staff_user, english_client
):
    # given riders at each association
    combined(chain, planner, riders=2)
    combined(other_chain, factories.planner_create(other_chain.contractor), riders=1)

    # when staff of the chain's association open the dashboard
    page = english_client(staff_user).get(reverse(DASHBOARD)).content.decode()

    # then they read their own figure, not the other association's
    assert "Visits saved by combining jobs" in page
    section = page[page.index("visits-saved-title") :]
    assert f"<td>{chain.organisation.name}</td><td>2</td>" in section
    assert other_chain.organisation.name not in section
    theirs = english_client(other_staff_user).get(reverse(DASHBOARD)).content.decode()
    section = theirs[theirs.index("visits-saved-title") :]
    assert f"<td>{other_chain.organisation.name}</td><td>1</td>" in section
    assert f"<td>{chain.organisation.name}</td>" not in section
