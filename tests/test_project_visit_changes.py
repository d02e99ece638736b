"""A project visit that moves or is cancelled gives its place back to the project: the tenant
moves or cancels it on the project page (the repairs pages send them there), the contractor's
own moves and cancellations are put right by the periodic task, and the contractor's capacity
screen says how many places projects keep."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from contractors import capacity
from outbox.models import OutboxMessage
from projects import services, tasks
from projects.models import DwellingStatus, ProjectSlot
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus
from repairs.services import Origin, appointment_reschedule
from repairs.services.appointments import appointment_cancel

from .queries import count_queries_settled, count_statements
from .test_projects import booked, project_create, row_of

pytestmark = pytest.mark.django_db


def counts(reservation: ProjectSlot) -> tuple[int, int]:
    reservation.refresh_from_db(fields=["reserved", "used"])
    return reservation.reserved, reservation.used


@pytest.fixture
def booked_visit(now, chain):
    """A project with two kept dayparts (3 places on day 3, 2 on day 5, each of capacity 4) and
    the chain's tenant booked on day 3."""
    project = project_create(chain)
    first = services.project_capacity_reserve(
        project=project, slot=chain.slot(days=3, capacity=4), visits=3
    )
    second = services.project_capacity_reserve(
        project=project, slot=chain.slot(days=5, capacity=4), visits=2
    )
    order = services.project_visit_book(
        row=row_of(project, chain.dwelling), reservation_id=first.pk, actor=chain.tenant
    )
    return project, first, second, order


def test_the_tenant_moves_the_visit_to_another_kept_place(chain, booked_visit):
    project, first, second, order = booked_visit

    visit = services.project_visit_move(
        row=row_of(project, chain.dwelling), reservation_id=second.pk, actor=chain.tenant
    )

    # the new place is the project's, and the old one is kept for the project again
    assert visit.slot_id == second.slot_id
    assert counts(first) == (3, 0)
    assert counts(second) == (2, 1)
    # the dayparts count the same places: nothing went to the open capacity
    assert booked(first.slot) == 3
    assert booked(second.slot) == 2
    assert list(Appointment.objects.order_by("pk").values_list("status", flat=True)) == [
        AppointmentStatus.MOVED,
        AppointmentStatus.PLANNED,
    ]
    order.refresh_from_db()
    assert order.status == Status.SCHEDULED
    assert row_of(project, chain.dwelling).status == DwellingStatus.BOOKED
    keys = set(OutboxMessage.objects.values_list("key", flat=True))
    assert f"appointment-confirmation-{visit.pk}" in keys
    assert f"contractor-rescheduled-{visit.pk}" in keys
    # a second run of the periodic task finds nothing to put right
    assert services.project_reservations_reconcile() == 0


def test_the_tenant_cancels_the_visit_and_may_book_again(chain, booked_visit):
    project, first, _second, order = booked_visit

    row = services.project_visit_cancel(
        row=row_of(project, chain.dwelling), reason="Op vakantie", actor=chain.tenant
    )

    assert (row.status, row.request_id) == (DwellingStatus.INVITED, None)
    order.refresh_from_db()
    assert order.status == Status.CANCELLED
    assert counts(first) == (3, 0)
    assert booked(first.slot) == 3
    assert f"contractor-cancelled-{order.pk}" in set(
        OutboxMessage.objects.values_list("key", flat=True)
    )
    assert services.project_reservations_reconcile() == 0
    again = services.project_visit_book(
        row=row_of(project, chain.dwelling), reservation_id=first.pk, actor=chain.tenant
    )
    assert again.pk != order.pk
    assert counts(first) == (3, 1)


def test_a_place_of_another_project_or_a_free_daypart_is_refused(chain, booked_visit):
    project, first, _second, _order = booked_visit
    other = project_create(chain, name="Dakgoten")
    theirs = services.project_capacity_reserve(
        project=other, slot=chain.slot(days=6, capacity=2), visits=1
    )

    with pytest.raises(services.SlotNotBookable):
        services.project_visit_move(
            row=row_of(project, chain.dwelling), reservation_id=theirs.pk, actor=chain.tenant
        )
    with pytest.raises(services.SlotNotBookable):
        services.project_visit_move(
            row=row_of(project, chain.dwelling), reservation_id=first.pk, actor=chain.tenant
        )

    assert counts(first) == (3, 1)
    assert counts(theirs) == (1, 0)


def test_the_repairs_pages_send_the_tenant_to_the_project(chain, booked_visit, tenant_client):
    project, _first, _second, order = booked_visit

    move = tenant_client.get(reverse("repair_reschedule", args=[order.reference]))
    cancel = tenant_client.get(reverse("repair_cancel", args=[order.reference]))
    page = tenant_client.get(reverse("project_page", args=[project.pk]))

    assert move.status_code == 302
    assert move.url == reverse("project_visit_move", args=[project.pk])
    assert cancel.url == reverse("project_visit_cancel", args=[project.pk])
    assert "Choose another time" in page.text
    assert "Cancel the visit" in page.text


def test_the_move_page_offers_only_the_projects_other_kept_places(
    chain, booked_visit, tenant_client
):
    project, first, second, _order = booked_visit
    free = chain.slot(days=4, capacity=3)
    url = reverse("project_visit_move", args=[project.pk])

    page = tenant_client.get(url)
    refused_free = tenant_client.post(url, {"reservation": free.pk})
    refused_own = tenant_client.post(url, {"reservation": first.pk})
    moved = tenant_client.post(url, {"reservation": second.pk}, follow=True)

    assert page.status_code == 200
    assert f'value="{second.pk}"' in page.text
    assert f'value="{first.pk}"' not in page.text
    assert refused_free.status_code == 422
    assert "This time is no longer available. Choose another time." in refused_free.text
    assert refused_own.status_code == 422
    assert "Your appointment is moved" in moved.text
    assert counts(first) == (3, 0)
    assert counts(second) == (2, 1)
    assert booked(free) == 0


def test_the_cancel_page_asks_a_reason_then_invites_again(chain, booked_visit, tenant_client):
    project, first, _second, _order = booked_visit
    url = reverse("project_visit_cancel", args=[project.pk])

    empty = tenant_client.post(url, {"reason": ""})
    done = tenant_client.post(url, {"reason": "Op vakantie"}, follow=True)

    assert empty.status_code == 422
    assert "Tell us briefly why you cancel." in empty.text
    assert "Your visit is cancelled" in done.text
    assert "Book this time" in done.text
    assert row_of(project, chain.dwelling).status == DwellingStatus.INVITED
    assert counts(first) == (3, 0)


def test_a_tenant_of_another_home_cannot_move_or_cancel(
    chain, other_chain, booked_visit, english_client
):
    project, first, second, _order = booked_visit
    stranger = english_client(other_chain.tenant)

    move = stranger.post(
        reverse("project_visit_move", args=[project.pk]), {"reservation": second.pk}
    )
    cancel = stranger.post(reverse("project_visit_cancel", args=[project.pk]), {"reason": "x y"})

    assert (move.status_code, cancel.status_code) == (404, 404)
    assert counts(first) == (3, 1)


def test_within_24_hours_the_tenant_is_sent_back(chain, booked_visit, tenant_client, time_machine):
    project, first, second, _order = booked_visit
    time_machine.move_to(first.slot.starts_at - datetime.timedelta(hours=2))

    move = tenant_client.post(
        reverse("project_visit_move", args=[project.pk]), {"reservation": second.pk}
    )

    assert move.status_code == 302
    assert counts(first) == (3, 1)
    with pytest.raises(services.ApplicationError):
        services.project_visit_move(
            row=row_of(project, chain.dwelling), reservation_id=second.pk, actor=chain.tenant
        )


def test_the_contractor_cancels_a_project_visit_its_place_goes_back_to_the_project(
    chain, planner, booked_visit
):
    project, first, _second, order = booked_visit

    appointment_cancel(repair_request=order, actor=planner)
    # the contractor's cancel gave the place to the open capacity for a moment
    assert booked(first.slot) == 2
    result = tasks.projects_run()

    assert result["settled"] == 1
    assert counts(first) == (3, 0)
    assert booked(first.slot) == 3
    assert row_of(project, chain.dwelling).status == DwellingStatus.INVITED
    # a second run changes nothing
    assert tasks.projects_run()["settled"] == 0
    assert counts(first) == (3, 0)


def test_the_contractor_moves_a_project_visit_out_of_the_kept_places(chain, planner, booked_visit):
    _project, first, _second, order = booked_visit
    elsewhere = chain.slot(days=4, capacity=2)

    appointment_reschedule(
        repair_request=order, slot_id=elsewhere.pk, actor=planner, origin=Origin.PLANNER
    )
    assert services.project_reservations_reconcile() == 1

    # the visit took an open place; the kept place is the project's again
    assert booked(elsewhere) == 1
    assert counts(first) == (3, 0)
    assert booked(first.slot) == 3


def test_a_place_a_repair_took_meanwhile_shrinks_the_reservation(chain, planner, booked_visit):
    _project, first, _second, order = booked_visit
    appointment_cancel(repair_request=order, actor=planner)
    # a repair takes the freed place of the full daypart before the task runs
    first.slot.__class__.objects.filter(pk=first.slot_id).update(capacity=2)

    assert services.project_reservations_reconcile() == 1

    assert counts(first) == (2, 0)
    assert booked(first.slot) == 2


# -- the contractor's capacity screen -------------------------------------------------------


def test_the_capacity_screen_shows_the_places_kept_for_projects(chain, planner_client, now):
    project = project_create(chain)
    slot = chain.slot(days=3, capacity=4)
    reservation = services.project_capacity_reserve(project=project, slot=slot, visits=3)
    services.project_visit_book(
        row=row_of(project, chain.dwelling), reservation_id=reservation.pk, actor=chain.tenant
    )

    response = planner_client.get(reverse("capacity_area", args=[chain.area.pk]))

    assert response.status_code == 200
    assert "3 / 4" in response.text
    assert "of which 2 places kept for projects" in response.text


def test_the_capacity_overview_asks_the_same_with_1_and_50_kept_dayparts(chain, now):
    project = project_create(chain, ends_on=timezone.localdate() + datetime.timedelta(days=80))
    today = timezone.localdate()

    def grow(count: int) -> None:
        for days in range(1, count + 1):
            if not ProjectSlot.objects.filter(slot__date=today + datetime.timedelta(days=days)):
                services.project_capacity_reserve(
                    project=project, slot=chain.slot(days=days, capacity=2), visits=1
                )

    def read() -> list:
        return list(
            capacity.slot_overview(
                contractor_id=chain.contractor.pk, area=chain.area, start=today, days=60
            )
        )

    grow(1)
    one = count_statements(read)
    assert read()[0].kept_for_projects == 1
    grow(50)
    fifty = count_statements(read)
    assert len(read()) == 50
    assert all(slot.kept_for_projects == 1 for slot in read())
    assert one == fifty == 1


def test_the_capacity_page_asks_the_same_with_1_and_13_kept_dayparts(chain, now, planner_client):
    project = project_create(chain)
    url = reverse("capacity_area", args=[chain.area.pk])
    services.project_capacity_reserve(project=project, slot=chain.slot(days=1), visits=1)
    one = count_queries_settled(planner_client, url)
    for days in range(2, 14):
        services.project_capacity_reserve(project=project, slot=chain.slot(days=days), visits=1)

    assert count_queries_settled(planner_client, url) == one
