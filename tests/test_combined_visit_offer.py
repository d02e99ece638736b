"""The tenant's offer to combine a new report with a visit planned in their dwelling: shown
when a visit of the same contractor lies 24 hours to 6 weeks ahead, accepted by its button,
declined by choosing a time, and refused for a visit that is not theirs to combine with."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from contractors.models import Slot
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, RepairRequest
from repairs.services.appointments import appointment_plan

from . import factories

DESCRIPTION = "The bathroom door does not close any more."
OFFER = "Combine with your visit on"


def report_url(chain) -> str:
    return reverse("report_category", args=[chain.category.pk])


def planned_in(chain, planner, *, days: int, dwelling=None, capacity: int = 2) -> Appointment:
    """A request of the dwelling with a visit planned `days` ahead."""
    fields = {"dwelling": dwelling, "tenancy": None} if dwelling is not None else {}
    repair_request = factories.routed_request_create(chain, **fields)
    slot = chain.slot(days=days, capacity=capacity)
    return appointment_plan(repair_request=repair_request, slot_id=slot.pk, actor=planner)


def new_request(chain) -> RepairRequest:
    return RepairRequest.objects.filter(dwelling=chain.dwelling).latest("pk")


@pytest.mark.django_db
def test_the_offer_is_shown_and_accepted(now, tenant_client, chain, planner, media_root):
    # given a visit planned in the dwelling a week ahead, and a free time to choose
    visit = planned_in(chain, planner, days=7, capacity=1)
    chain.slot(days=3)

    # when the tenant opens the report
    page = tenant_client.get(report_url(chain))

    # then the offer shows the visit's day and daypart and the benefit
    text = page.content.decode()
    day = timezone.localtime(visit.starts_at).strftime("%A %-d %B")
    assert f"{OFFER} {day}, morning?" in text
    assert "one visit instead of two" in text

    # when they accept it
    response = tenant_client.post(
        report_url(chain),
        {"description": DESCRIPTION, "contact_phone": "06 12345678", "combine": visit.pk},
    )

    # then the new job rides along on the visit, the slot still counts one visit, and the
    # done page says when and that it is combined
    repair_request = new_request(chain)
    assert response.status_code == 302
    assert response.url == reverse("report_done", args=[repair_request.reference])
    rider = Appointment.objects.get(request=repair_request)
    assert (rider.shared_visit_id, rider.status) == (visit.pk, AppointmentStatus.PLANNED)
    assert repair_request.status == Status.SCHEDULED
    assert Slot.objects.get(pk=visit.slot_id).booked == 1
    done = tenant_client.get(response.url).content.decode()
    assert "Combined visit" in done
    assert "one visit instead of two" in done
    assert day in done


@pytest.mark.django_db
def test_declining_the_offer_books_the_time_chosen(now, tenant_client, chain, planner, media_root):
    # given the offer, and a free time of the tenant's own
    visit = planned_in(chain, planner, days=7)
    own = chain.slot(days=3)

    # when the tenant chooses their own time and sends the report
    response = tenant_client.post(
        report_url(chain),
        {"description": DESCRIPTION, "contact_phone": "06 12345678", "slot": own.pk},
    )

    # then the visit is their own, in the time chosen
    assert response.status_code == 302
    appointment = Appointment.objects.get(request=new_request(chain))
    assert (appointment.slot_id, appointment.shared_visit_id) == (own.pk, None)
    assert not visit.riders.exists()


@pytest.mark.django_db
def test_neither_combining_nor_a_time_is_refused_next_to_the_times(
    now, tenant_client, chain, planner, media_root
):
    planned_in(chain, planner, days=7)
    chain.slot(days=3)
    response = tenant_client.post(
        report_url(chain), {"description": DESCRIPTION, "contact_phone": "06 12345678"}
    )
    assert response.status_code == 422
    assert "Choose when the contractor may come." in response.content.decode()
    assert RepairRequest.objects.filter(dwelling=chain.dwelling).count() == 1


@pytest.mark.django_db
def test_a_visit_of_another_dwelling_is_refused(
    now, tenant_client, chain, other_chain, planner, media_root
):
    # given a planned visit in the dwelling, one of a neighbour (same building), and one of
    # another association's tenant
    planned_in(chain, planner, days=7)
    neighbour = factories.DwellingFactory(
        organisation=chain.organisation,
        postcode=chain.dwelling.postcode,
        house_number=chain.dwelling.house_number,
        house_number_suffix="B",
    )
    neighbours = planned_in(chain, planner, days=8, dwelling=neighbour)
    strangers = Appointment.objects.get(
        request=factories.scheduled_request_create(other_chain, other_chain.slot(days=9))
    )

    for visit in (neighbours, strangers, 999999, "x"):
        # when the tenant posts it as the visit to combine with
        response = tenant_client.post(
            report_url(chain),
            {"description": DESCRIPTION, "contact_phone": "06 12345678", "combine": visit},
        )

        # then it is refused next to the offer, and nothing is reported
        assert response.status_code == 422
        assert "can no longer be combined with your report" in response.content.decode()
    assert RepairRequest.objects.filter(dwelling=chain.dwelling).count() == 1
    assert not neighbours.riders.exists()


@pytest.mark.parametrize("days", [0, 43])
@pytest.mark.django_db
def test_no_offer_for_a_visit_within_24_hours_or_over_6_weeks(
    now, tenant_client, chain, planner, media_root, days
):
    # given the dwelling's only planned visit today, or 43 days ahead
    visit = planned_in(chain, planner, days=max(days, 1))
    if days == 0:
        soon = timezone.now() + datetime.timedelta(hours=3)
        Appointment.objects.filter(pk=visit.pk).update(
            starts_at=soon, ends_at=soon + datetime.timedelta(hours=4)
        )
    chain.slot(days=3)

    # when the tenant opens the report, then no offer is made
    assert OFFER not in tenant_client.get(report_url(chain)).content.decode()

    # and posting it anyway is refused
    response = tenant_client.post(
        report_url(chain),
        {"description": DESCRIPTION, "contact_phone": "06 12345678", "combine": visit.pk},
    )
    assert response.status_code == 422
    assert not visit.riders.exists()


@pytest.mark.django_db
def test_no_offer_for_a_visit_in_the_past(now, tenant_client, chain, planner, media_root):
    visit = planned_in(chain, planner, days=2)
    past = timezone.now() - datetime.timedelta(days=2)
    Appointment.objects.filter(pk=visit.pk).update(
        starts_at=past, ends_at=past + datetime.timedelta(hours=4)
    )
    chain.slot(days=3)
    assert OFFER not in tenant_client.get(report_url(chain)).content.decode()


@pytest.mark.django_db
def test_another_open_job_rides_along_on_the_time_chosen(
    now, tenant_client, chain, planner, media_root
):
    # given an open job of the same contractor in the dwelling without a visit
    waiting = factories.routed_request_create(chain)
    own = chain.slot(days=3)

    # when the tenant reports, chooses a time and ticks the other job
    page = tenant_client.get(report_url(chain)).content.decode()
    assert f"Also do my other repair “Tap leaks” ({waiting.reference}) at this visit" in page
    response = tenant_client.post(
        report_url(chain),
        {
            "description": DESCRIPTION,
            "contact_phone": "06 12345678",
            "slot": own.pk,
            "riders": [waiting.pk],
        },
    )

    # then the new job has the visit and the other rides along on it: one place taken
    assert response.status_code == 302
    host = Appointment.objects.get(request=new_request(chain))
    rider = Appointment.objects.get(request=waiting)
    assert (host.slot_id, host.shared_visit_id) == (own.pk, None)
    assert rider.shared_visit_id == host.pk
    assert Slot.objects.get(pk=own.pk).booked == 1
    done = tenant_client.get(response.url).content.decode()
    assert f"({waiting.reference}) is done at the same visit" in done


@pytest.mark.django_db
def test_a_job_of_another_dwelling_cannot_be_ticked(
    now, tenant_client, chain, other_chain, media_root
):
    theirs = factories.routed_request_create(other_chain)
    mine = factories.routed_request_create(chain)
    own = chain.slot(days=3)
    response = tenant_client.post(
        report_url(chain),
        {
            "description": DESCRIPTION,
            "contact_phone": "06 12345678",
            "slot": own.pk,
            "riders": [mine.pk, theirs.pk],
        },
    )
    assert response.status_code == 422
    assert not Appointment.objects.filter(request__in=[mine, theirs]).exists()
