"""Booking a visit, moving it and cancelling: atomic, within the 24-hour rule, told to the
contractor once, and the slot's count of visits always right."""

import datetime
import threading

import pytest
from django.db import IntegrityError, connection
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from contractors.models import Slot
from repairs import services
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, RepairEvent, RepairRequest
from repairs.notifications import CONTRACTOR_SUBJECTS

from . import factories

DESCRIPTION = "The kitchen tap drips day and night since Monday."
TOO_LATE = (
    "The visit is less than 24 hours away, so it can no longer be changed here. "
    "Call the contractor or your housing association."
)


def report(chain, *, tenancy=None, slot: Slot | None = None) -> RepairRequest:
    tenancy = tenancy or chain.tenancy
    return services.repair_request_report(
        tenancy=tenancy,
        category=chain.category,
        description=DESCRIPTION,
        actor=tenancy.tenant,
        slot_id=slot.pk if slot else None,
    )


def neighbour_tenancies(chain, count: int):
    """Tenants of other homes in the same area, with the same contractor."""
    return [
        factories.TenancyFactory(
            dwelling=factories.DwellingFactory(organisation=chain.organisation, postcode="5611AB"),
            tenant=factories.UserFactory(),
        )
        for _ in range(count)
    ]


def contractor_subject(kind: str, repair_request: RepairRequest) -> str:
    """Contractor mails are Dutch; the subject as the catalogue of the moment words it."""
    with translation.override("nl"):
        return gettext(CONTRACTOR_SUBJECTS[kind]) % {
            "reference": repair_request.reference,
            "address": repair_request.dwelling.address_line,
        }


def bookings(slot: Slot) -> int:
    slot.refresh_from_db()
    return slot.booked


# -- booking -------------------------------------------------------------------------------


def test_twenty_tenants_booking_the_last_visit_at_once_get_it_once(
    postgres_only, transactional_db, chain
):
    # given a slot with room for one visit, and 20 routed requests of different tenants
    slot = chain.slot(days=2, capacity=1)
    requests = [report(chain, tenancy=tenancy) for tenancy in neighbour_tenancies(chain, 20)]
    assert {r.status for r in requests} == {Status.ROUTED}
    barrier = threading.Barrier(len(requests))
    outcomes: list[object] = [None] * len(requests)

    def book(index: int) -> None:
        try:
            connection.ensure_connection()  # each thread its own connection, opened up front
            barrier.wait(timeout=30)
            with translation.override("en"):
                outcomes[index] = services.appointment_book(
                    repair_request=requests[index], slot_id=slot.pk
                )
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    # when all 20 book at the same moment
    threads = [threading.Thread(target=book, args=(index,)) for index in range(len(requests))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then exactly one got the visit, and 19 were told the time was taken
    booked = [outcome for outcome in outcomes if isinstance(outcome, Appointment)]
    refused = [outcome for outcome in outcomes if isinstance(outcome, services.SlotFull)]
    assert len(booked) == 1
    assert len(refused) == 19, [repr(outcome) for outcome in outcomes]
    assert {error.message for error in refused} == {
        "Sorry, this time was just taken by someone else. Choose another time."
    }
    assert list(Appointment.objects.values_list("pk", flat=True)) == [booked[0].pk]
    assert bookings(slot) == 1
    assert RepairRequest.objects.filter(status=Status.SCHEDULED).count() == 1
    assert RepairRequest.objects.filter(status=Status.ROUTED).count() == 19


def test_a_slot_takes_visits_up_to_its_capacity(now, chain):
    # given a slot for two visits, and three requests
    slot = chain.slot(days=2, capacity=2)
    first, second, third = (report(chain, tenancy=t) for t in neighbour_tenancies(chain, 3))

    # when all three book it
    services.appointment_book(repair_request=first, slot_id=slot.pk)
    services.appointment_book(repair_request=second, slot_id=slot.pk)
    with translation.override("en"), pytest.raises(services.SlotFull) as refusal:
        services.appointment_book(repair_request=third, slot_id=slot.pk)

    # then the third is refused and leaves nothing
    assert refusal.value.message == (
        "Sorry, this time was just taken by someone else. Choose another time."
    )
    assert bookings(slot) == 2
    assert set(Appointment.objects.values_list("request_id", flat=True)) == {first.pk, second.pk}
    third.refresh_from_db()
    assert third.status == Status.ROUTED


def test_the_database_refuses_more_visits_than_the_capacity(now, chain):
    # given
    slot = chain.slot(days=2, capacity=2, booked=2)

    # when / then
    with pytest.raises(IntegrityError):
        Slot.objects.filter(pk=slot.pk).update(booked=3)


# -- moving and cancelling -----------------------------------------------------------------


@pytest.fixture
def booked(now, chain):
    """A request with a visit on Thursday 12 March, 08:00–12:00 (it is Tuesday 10:00)."""
    slot = chain.slot(days=2)
    repair_request = report(chain, slot=slot)
    assert repair_request.status == Status.SCHEDULED
    return repair_request, slot


@pytest.fixture
def friday(chain):
    """Another free slot: Friday 13 March, morning."""
    return chain.slot(date=datetime.date(2026, 3, 13))


def before_the_visit(time_machine, slot: Slot, hours: int) -> None:
    time_machine.move_to(slot.starts_at - datetime.timedelta(hours=hours), tick=True)


def test_moving_25_hours_before_the_visit_releases_the_old_slot_and_tells_the_contractor(
    booked,
    friday,
    chain,
    tenant_client,
    time_machine,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    # given 25 hours before the visit
    repair_request, thursday = booked
    before_the_visit(time_machine, thursday, hours=25)
    url = reverse("repair_reschedule", args=[repair_request.reference])
    assert tenant_client.get(url).status_code == 200

    # when the tenant moves it to Friday
    with django_capture_on_commit_callbacks(execute=True):
        response = tenant_client.post(url, {"slot": friday.pk})

    # then the visit is on Friday, and Thursday's place is free again
    assert response.status_code == 302
    assert response.url == reverse("repair_detail", args=[repair_request.reference])
    old, new = Appointment.objects.order_by("pk")
    assert (old.slot, old.status) == (thursday, AppointmentStatus.MOVED)
    assert (new.slot, new.status, new.sequence) == (friday, AppointmentStatus.PLANNED, 1)
    assert (bookings(thursday), bookings(friday)) == (0, 1)
    repair_request.refresh_from_db()
    assert repair_request.status == Status.SCHEDULED
    # and the contractor got one mail about it, the tenant a new invitation
    assert [(m.to, m.subject) for m in mailoutbox if m.to == [chain.contractor.email]] == [
        ([chain.contractor.email], contractor_subject("rescheduled", repair_request))
    ]
    assert [(m.to, m.subject) for m in mailoutbox if m.to == [chain.tenant.email]] == [
        ([chain.tenant.email], "Appointment for repair R-2026-000001")
    ]
    # and the tenant reads it
    detail = tenant_client.get(response.url).content.decode()
    assert "Your appointment is moved. We sent you a new invitation." in detail
    assert "Appointment moved to Friday 13 March morning" in detail


def test_moving_23_hours_before_the_visit_is_refused_and_changes_nothing(
    booked,
    friday,
    chain,
    tenant_client,
    time_machine,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    # given 23 hours before the visit
    repair_request, thursday = booked
    before_the_visit(time_machine, thursday, hours=23)
    events = RepairEvent.objects.count()

    # when the service is asked, and the tenant tries the page
    with django_capture_on_commit_callbacks(execute=True):
        with translation.override("en"), pytest.raises(services.ChangeTooLate) as refusal:
            services.appointment_reschedule(repair_request=repair_request, slot_id=friday.pk)
        url = reverse("repair_reschedule", args=[repair_request.reference])
        response = tenant_client.post(url, {"slot": friday.pk}, follow=True)

    # then both refuse, with the reason
    assert refusal.value.message == TOO_LATE
    assert response.redirect_chain == [
        (reverse("repair_detail", args=[repair_request.reference]), 302)
    ]
    assert (
        "This visit can no longer be moved here. Call the contractor or your housing association."
        in response.content.decode()
    )
    # and nothing changed
    appointment = Appointment.objects.get()
    assert (appointment.slot, appointment.status) == (thursday, AppointmentStatus.PLANNED)
    assert (bookings(thursday), bookings(friday)) == (1, 0)
    assert RepairEvent.objects.count() == events
    assert mailoutbox == []


def test_moving_to_a_slot_taken_meanwhile_keeps_the_old_visit(booked, friday, chain):
    # given Friday's only visit is taken by a neighbour
    repair_request, thursday = booked
    report(chain, tenancy=neighbour_tenancies(chain, 1)[0], slot=friday)

    # when
    with translation.override("en"), pytest.raises(services.SlotFull):
        services.appointment_reschedule(repair_request=repair_request, slot_id=friday.pk)

    # then the old visit stands, and Thursday is still booked
    appointment = Appointment.objects.get(request=repair_request)
    assert (appointment.slot, appointment.status) == (thursday, AppointmentStatus.PLANNED)
    assert (bookings(thursday), bookings(friday)) == (1, 1)


def test_cancelling_25_hours_before_the_visit_releases_the_slot_and_tells_the_contractor(
    booked, chain, tenant_client, time_machine, django_capture_on_commit_callbacks, mailoutbox
):
    # given 25 hours before the visit
    repair_request, thursday = booked
    before_the_visit(time_machine, thursday, hours=25)
    url = reverse("repair_cancel", args=[repair_request.reference])
    assert tenant_client.get(url).status_code == 200

    # when the tenant cancels, saying why
    with django_capture_on_commit_callbacks(execute=True):
        response = tenant_client.post(url, {"reason": "Fixed it myself with a new washer."})

    # then the request and its visit are cancelled, and the slot is free again
    assert response.status_code == 302
    repair_request.refresh_from_db()
    assert (repair_request.status, repair_request.cancel_reason) == (
        Status.CANCELLED,
        "Fixed it myself with a new washer.",
    )
    assert Appointment.objects.get().status == AppointmentStatus.CANCELLED
    assert bookings(thursday) == 0
    # and the contractor got one mail, with the reason
    assert [(m.to, m.subject) for m in mailoutbox] == [
        ([chain.contractor.email], contractor_subject("cancelled", repair_request))
    ]
    assert "Fixed it myself with a new washer." in mailoutbox[0].body
    # and the tenant reads it, with the reason on the timeline
    detail = tenant_client.get(response.url).content.decode()
    assert "Your repair is cancelled. The contractor has been told." in detail
    assert "Reason: Fixed it myself with a new washer." in detail


def test_cancelling_23_hours_before_the_visit_is_refused_and_changes_nothing(
    booked, chain, tenant_client, time_machine, django_capture_on_commit_callbacks, mailoutbox
):
    # given 23 hours before the visit
    repair_request, thursday = booked
    before_the_visit(time_machine, thursday, hours=23)
    events = RepairEvent.objects.count()

    # when the service is asked, and the tenant tries the page
    with django_capture_on_commit_callbacks(execute=True):
        with translation.override("en"), pytest.raises(services.ChangeTooLate) as refusal:
            services.repair_request_cancel(repair_request=repair_request, reason="Going away.")
        url = reverse("repair_cancel", args=[repair_request.reference])
        response = tenant_client.post(url, {"reason": "Going away."}, follow=True)

    # then both refuse, with the reason
    assert refusal.value.message == TOO_LATE
    assert response.redirect_chain == [
        (reverse("repair_detail", args=[repair_request.reference]), 302)
    ]
    assert (
        "This repair can no longer be cancelled here. "
        "Call the contractor or your housing association." in response.content.decode()
    )
    # and nothing changed
    repair_request.refresh_from_db()
    assert (repair_request.status, repair_request.cancel_reason) == (Status.SCHEDULED, "")
    assert Appointment.objects.get().status == AppointmentStatus.PLANNED
    assert bookings(thursday) == 1
    assert RepairEvent.objects.count() == events
    assert mailoutbox == []


def test_cancelling_needs_a_reason(
    booked, chain, tenant_client, django_capture_on_commit_callbacks, mailoutbox
):
    # given
    repair_request, thursday = booked
    events = RepairEvent.objects.count()

    # when the form is sent without a reason, and the service is asked with blanks only
    with django_capture_on_commit_callbacks(execute=True):
        url = reverse("repair_cancel", args=[repair_request.reference])
        response = tenant_client.post(url, {"reason": ""})
        with translation.override("en"), pytest.raises(services.ReasonRequired) as refusal:
            services.repair_request_cancel(repair_request=repair_request, reason="   ")

    # then both ask for it
    assert response.status_code == 422
    assert {f: list(e) for f, e in response.context["form"].errors.items()} == {
        "reason": ["Tell us briefly why you cancel."]
    }
    assert refusal.value.message == "Tell us briefly why you cancel."
    # and nothing changed
    repair_request.refresh_from_db()
    assert repair_request.status == Status.SCHEDULED
    assert Appointment.objects.get().status == AppointmentStatus.PLANNED
    assert bookings(thursday) == 1
    assert RepairEvent.objects.count() == events
    assert mailoutbox == []


def test_a_request_without_a_visit_can_be_cancelled_and_the_contractor_is_told(
    now, chain, django_capture_on_commit_callbacks, mailoutbox
):
    # given a routed request without a visit
    repair_request = report(chain)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        services.repair_request_cancel(repair_request=repair_request, reason="Moved house.")

    # then
    repair_request.refresh_from_db()
    assert repair_request.status == Status.CANCELLED
    assert [m.to for m in mailoutbox] == [[chain.contractor.email]]
