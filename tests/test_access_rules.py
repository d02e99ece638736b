"""The access rules themselves, asked directly as pages, services and the API ask them.

Who is a tenant and who a contractor user of which role; who may record a visit (the own
contractor's planner any visit, a craftsman their own or today's unassigned one, nobody of
another contractor); and until when a tenant may move or cancel a visit: 24 hours before it
starts, that moment included, the same answer on the page and in the service.
"""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.urls import reverse
from django.utils import timezone, translation

from contractors.access import appointment_can_record, is_planner, membership_for
from portal.access import appointment_can_change, change_allowed_until, is_staff, is_tenant
from repairs import services

from . import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def other_planner(db):
    other = factories.chain_create(postcode="5612CD")
    return factories.planner_create(other.contractor, email="planner@ander.nl")


# -- who is who ----------------------------------------------------------------------------


def test_membership_for_answers_the_contractor_users_membership(planner, craftsman, chain):
    assert membership_for(planner).contractor == chain.contractor
    assert is_planner(membership_for(planner))
    assert membership_for(craftsman).contractor == chain.contractor
    assert not is_planner(membership_for(craftsman))


def test_membership_for_answers_404_to_anyone_else(chain, staff_user):
    for user in (chain.tenant, staff_user, AnonymousUser()):
        with pytest.raises(Http404):
            membership_for(user)


def test_a_tenant_is_a_user_with_a_tenancy(chain, planner, staff_user):
    assert is_tenant(chain.tenant)
    assert not is_tenant(planner)
    assert not is_tenant(staff_user)
    assert not is_tenant(AnonymousUser())


def test_staff_are_logged_in_staff_users(chain, staff_user):
    assert is_staff(staff_user)
    assert not is_staff(chain.tenant)
    assert not is_staff(AnonymousUser())


# -- recording a visit ---------------------------------------------------------------------


@pytest.fixture
def visits(now, chain, craftsman):
    """Today's visits: one of the craftsman, one of a colleague, one nobody is assigned to;
    and tomorrow's unassigned one."""
    colleague = factories.craftsman_create(chain.contractor, email="collega@aannemer.nl")
    today = chain.slot(days=0, daypart=chain.afternoon, capacity=3)
    tomorrow = chain.slot(days=1)
    return {
        "own": factories.visit_create(
            factories.routed_request_create(chain), today, craftsman=craftsman
        ),
        "colleague": factories.visit_create(
            factories.routed_request_create(chain), today, craftsman=colleague
        ),
        "unassigned_today": factories.visit_create(factories.routed_request_create(chain), today),
        "unassigned_tomorrow": factories.visit_create(
            factories.routed_request_create(chain), tomorrow
        ),
    }


def test_the_planner_may_record_every_visit_of_their_contractor(visits, planner):
    membership = membership_for(planner)
    for visit in visits.values():
        assert appointment_can_record(membership=membership, appointment=visit)


def test_a_craftsman_may_record_their_own_and_todays_unassigned_visits(visits, craftsman):
    membership = membership_for(craftsman)
    allowed = {
        name: appointment_can_record(membership=membership, appointment=visit)
        for name, visit in visits.items()
    }
    assert allowed == {
        "own": True,
        "colleague": False,
        "unassigned_today": True,
        "unassigned_tomorrow": False,
    }


def test_nobody_of_another_contractor_may_record_a_visit(visits, other_planner):
    membership = membership_for(other_planner)
    for visit in visits.values():
        assert not appointment_can_record(membership=membership, appointment=visit)


# -- the 24-hour change window ---------------------------------------------------------------


@pytest.fixture
def booked(time_machine, chain):
    """A request with a visit on Thursday 12 March 2026 at 08:00, booked on Tuesday 10:00."""
    time_machine.move_to(datetime.datetime(2026, 3, 10, 10, 0, tzinfo=AMSTERDAM), tick=False)
    slot = chain.slot(date=datetime.date(2026, 3, 12))
    repair_request = factories.routed_request_create(chain)
    visit = factories.visit_create(repair_request, slot)
    assert visit.starts_at == datetime.datetime(2026, 3, 12, 8, 0, tzinfo=AMSTERDAM)
    return visit


@pytest.mark.parametrize(
    ("before_start", "allowed"),
    [
        (datetime.timedelta(hours=24), True),
        (datetime.timedelta(hours=24, minutes=1), True),
        (datetime.timedelta(hours=23, minutes=59), False),
    ],
    ids=["exactly-24h", "24h01", "23h59"],
)
def test_a_visit_can_be_changed_until_24_hours_before_it(
    time_machine, booked, before_start, allowed
):
    time_machine.move_to(booked.starts_at - before_start, tick=False)

    assert appointment_can_change(appointment=booked, now=timezone.now()) is allowed
    assert change_allowed_until(booked) == datetime.datetime(2026, 3, 11, 8, 0, tzinfo=AMSTERDAM)


@pytest.mark.parametrize(
    ("before_start", "allowed"),
    [
        (datetime.timedelta(hours=24), True),
        (datetime.timedelta(hours=23, minutes=59), False),
    ],
    ids=["exactly-24h", "23h59"],
)
def test_the_page_and_the_service_give_the_same_answer(
    time_machine, tenant_client, chain, booked, before_start, allowed
):
    time_machine.move_to(booked.starts_at - before_start, tick=False)
    reference = booked.request.reference

    # the tenant's page offers the cancel only when the rule allows it
    response = tenant_client.get(reverse("repair_cancel", args=[reference]))
    assert response.status_code == (200 if allowed else 302)

    # and the service refuses exactly when the page does
    if allowed:
        services.repair_request_cancel(
            repair_request=booked.request, reason="Fixed it myself.", actor=chain.tenant
        )
        booked.request.refresh_from_db()
        assert booked.request.status == "cancelled"
    else:
        with translation.override("en"), pytest.raises(services.ChangeTooLate):
            services.repair_request_cancel(
                repair_request=booked.request, reason="Fixed it myself.", actor=chain.tenant
            )
