"""Combining two jobs in one visit (repairs.services.appointments.appointment_join): the rider
takes no place in the slot, keeps the one-planned-visit and 24-hour rules, and the host's and
rider's later changes leave the slot's count right."""

import datetime

import pytest

from contractors.models import Slot
from outbox.models import OutboxMessage
from portal.errors import TransitionNotAllowed
from repairs import services
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, MaintenanceKind, RepairRequest
from repairs.services.appointments import (
    Origin,
    appointment_cancel,
    appointment_join,
    appointment_plan,
)

from . import factories


def booked(slot: Slot) -> int:
    slot.refresh_from_db(fields=["booked"])
    return slot.booked


def planned_visit(repair_request: RepairRequest) -> Appointment:
    return Appointment.objects.get(request=repair_request, status=AppointmentStatus.PLANNED)


@pytest.fixture
def host(chain, planner):
    """A planned visit of the chain's contractor in the tenant's dwelling, four days ahead, in
    a slot with room for two visits."""
    repair_request = factories.routed_request_create(chain)
    slot = chain.slot(days=4, capacity=2)
    return appointment_plan(repair_request=repair_request, slot_id=slot.pk, actor=planner)


@pytest.mark.django_db
def test_a_tenants_job_rides_along_without_taking_a_place(chain, host, monkeypatch):
    # given a second open job of the same contractor in the dwelling, and webhooks listened to
    emitted = []
    monkeypatch.setattr(
        "repairs.services.base.webhook_event_emit",
        lambda **kwargs: emitted.append((kwargs["event_type"], kwargs["subject_id"])),
    )
    rider_request = factories.routed_request_create(chain)

    # when the tenant combines it with the planned visit
    rider = appointment_join(
        repair_request=rider_request, visit=host, actor=chain.tenant, origin=Origin.TENANT
    )

    # then it rides along: same slot and times, no place taken, the request scheduled, the
    # tenant's confirmation queued and the webhook appointment.booked emitted
    assert (rider.shared_visit_id, rider.slot_id) == (host.pk, host.slot_id)
    assert (rider.starts_at, rider.ends_at) == (host.starts_at, host.ends_at)
    assert booked(host.slot) == 1
    rider_request.refresh_from_db()
    assert rider_request.status == Status.SCHEDULED
    assert OutboxMessage.objects.filter(key=f"appointment-confirmation-{rider.pk}").exists()
    assert ("appointment.booked", rider_request.pk) in emitted
    assert list(host.riders.all()) == [rider]


@pytest.mark.django_db
def test_a_project_visit_takes_a_repair_along(chain, planner):
    # given a project visit (planned maintenance order) planned in the dwelling
    project = factories.routed_request_create(chain, maintenance_kind=MaintenanceKind.PROJECT)
    slot = chain.slot(days=10, capacity=1)
    visit = appointment_plan(repair_request=project, slot_id=slot.pk, actor=planner)
    repair = factories.routed_request_create(chain)

    # when the tenant's repair joins it
    rider = appointment_join(
        repair_request=repair, visit=visit, actor=chain.tenant, origin=Origin.TENANT
    )

    # then the full slot still counts one visit
    assert rider.shared_visit_id == visit.pk
    assert booked(slot) == 1


@pytest.mark.django_db
def test_a_request_with_a_planned_visit_is_refused_for_a_tenant(chain, host):
    # given a request that has its own planned visit
    other = factories.scheduled_request_create(chain, chain.slot(days=6, capacity=1))
    own = planned_visit(other)

    # when the tenant tries to combine it, then it is refused and nothing changes
    with pytest.raises(TransitionNotAllowed):
        appointment_join(repair_request=other, visit=host, actor=chain.tenant, origin=Origin.TENANT)
    own.refresh_from_db()
    assert own.status == AppointmentStatus.PLANNED
    assert not host.riders.exists()


@pytest.mark.django_db
def test_a_planner_moves_a_planned_job_onto_the_other_visit(chain, host, planner):
    # given a request with its own visit in a slot of its own
    other = factories.routed_request_create(chain)
    own_slot = chain.slot(days=6, capacity=1)
    own = appointment_plan(repair_request=other, slot_id=own_slot.pk, actor=planner)

    # when the planner combines it with the host, giving its own visit up
    rider = appointment_join(
        repair_request=other,
        visit=host,
        actor=planner,
        origin=Origin.PLANNER,
        move_existing=True,
    )

    # then its own place is free again, the host's slot still counts one, one planned visit
    own.refresh_from_db()
    assert own.status == AppointmentStatus.MOVED
    assert booked(own_slot) == 0
    assert booked(host.slot) == 1
    assert planned_visit(other) == rider


@pytest.mark.django_db
def test_a_tenant_cannot_combine_with_a_visit_less_than_24_hours_away(chain, planner):
    # given a visit tomorrow morning, less than 24 hours from now
    tomorrow = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(hours=20)
    slot = chain.slot(days=1, capacity=1)
    Slot.objects.filter(pk=slot.pk).update(
        starts_at=tomorrow, ends_at=tomorrow + datetime.timedelta(hours=4)
    )
    first = factories.routed_request_create(chain)
    visit = appointment_plan(repair_request=first, slot_id=slot.pk, actor=planner)
    repair = factories.routed_request_create(chain)

    # when the tenant tries to add a job to it, then it is refused
    with pytest.raises(services.ChangeTooLate):
        appointment_join(
            repair_request=repair, visit=visit, actor=chain.tenant, origin=Origin.TENANT
        )
    repair.refresh_from_db()
    assert repair.status == Status.ROUTED
    # while the planner may
    appointment_join(repair_request=repair, visit=visit, actor=planner, origin=Origin.PLANNER)
    assert booked(slot) == 1


@pytest.mark.django_db
def test_a_tenant_cannot_combine_with_a_visit_of_another_dwelling(chain, planner):
    # given a neighbour's visit in the same building (another suffix), same contractor
    neighbour = factories.DwellingFactory(
        organisation=chain.organisation,
        postcode=chain.dwelling.postcode,
        house_number=chain.dwelling.house_number,
        house_number_suffix="B",
    )
    theirs = factories.routed_request_create(chain, dwelling=neighbour, tenancy=None)
    visit = appointment_plan(
        repair_request=theirs, slot_id=chain.slot(days=5, capacity=1).pk, actor=planner
    )
    mine = factories.routed_request_create(chain)

    # when the tenant combines, then it is refused; the planner may (same building)
    with pytest.raises(TransitionNotAllowed):
        appointment_join(repair_request=mine, visit=visit, actor=chain.tenant, origin=Origin.TENANT)
    rider = appointment_join(repair_request=mine, visit=visit, actor=planner, origin=Origin.PLANNER)
    assert rider.shared_visit_id == visit.pk


@pytest.mark.django_db
def test_a_visit_of_another_contractor_cannot_be_joined(chain, other_chain, planner):
    # given a visit of another contractor
    theirs = factories.scheduled_request_create(other_chain, other_chain.slot(days=5))
    visit = planned_visit(theirs)
    mine = factories.routed_request_create(chain)

    # when a planner tries to combine, then it is refused
    with pytest.raises(TransitionNotAllowed):
        appointment_join(repair_request=mine, visit=visit, actor=planner, origin=Origin.PLANNER)
    assert not Appointment.objects.filter(request=mine).exists()


@pytest.mark.django_db
def test_cancelling_the_host_leaves_the_rider_at_its_time_holding_the_place(chain, host):
    # given two riders on the host
    first_request = factories.routed_request_create(chain)
    second_request = factories.routed_request_create(chain)
    first = appointment_join(
        repair_request=first_request, visit=host, actor=chain.tenant, origin=Origin.TENANT
    )
    second = appointment_join(
        repair_request=second_request, visit=host, actor=chain.tenant, origin=Origin.TENANT
    )

    # when the host's visit is cancelled
    appointment_cancel(repair_request=host.request, actor=chain.tenant)

    # then the first rider takes over the place, the second rides along on it, the slot's
    # count stays one, and both keep their time
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.shared_visit_id is None
    assert second.shared_visit_id == first.pk
    assert (first.status, second.status) == (AppointmentStatus.PLANNED,) * 2
    assert booked(host.slot) == 1


@pytest.mark.django_db
def test_moving_the_host_leaves_the_rider_at_its_time(chain, host, planner):
    # given a rider on the host
    rider = appointment_join(
        repair_request=factories.routed_request_create(chain),
        visit=host,
        actor=chain.tenant,
        origin=Origin.TENANT,
    )
    later = chain.slot(days=8, capacity=1)

    # when the planner moves the host's visit
    appointment_plan(repair_request=host.request, slot_id=later.pk, actor=planner)

    # then the rider stays, holding the old place; the new slot counts the host
    rider.refresh_from_db()
    assert (rider.status, rider.shared_visit_id) == (AppointmentStatus.PLANNED, None)
    assert booked(host.slot) == 1
    assert booked(later) == 1


@pytest.mark.django_db
def test_cancelling_a_host_without_riders_gives_its_place_back(chain, host):
    appointment_cancel(repair_request=host.request, actor=chain.tenant)
    assert booked(host.slot) == 0


@pytest.mark.django_db
def test_cancelling_a_rider_gives_no_place_back(chain, host):
    # given a rider on the host
    rider_request = factories.routed_request_create(chain)
    appointment_join(
        repair_request=rider_request, visit=host, actor=chain.tenant, origin=Origin.TENANT
    )

    # when the tenant cancels the rider's repair, and another its visit only
    services.repair_request_cancel(repair_request=rider_request, reason="Al gemaakt")

    # then the host keeps its place, and the slot still counts one
    assert booked(host.slot) == 1
    host.refresh_from_db()
    assert host.status == AppointmentStatus.PLANNED


@pytest.mark.django_db
def test_recording_the_host_does_not_record_the_rider(now, chain, host, time_machine):
    # given a rider on the host
    rider_request = factories.routed_request_create(chain)
    rider = appointment_join(
        repair_request=rider_request, visit=host, actor=chain.tenant, origin=Origin.TENANT
    )

    # when the visit's day comes and the host is recorded as fixed
    time_machine.move_to(host.starts_at + datetime.timedelta(hours=1))
    services.visit_record(appointment=host, outcome="fixed", actor=None)

    # then the rider is still planned, to be recorded on its own
    rider.refresh_from_db()
    rider_request.refresh_from_db()
    assert rider.status == AppointmentStatus.PLANNED
    assert rider_request.status == Status.SCHEDULED
    services.visit_record(appointment=rider, outcome="follow_up", reason="MAT", actor=None)
    rider_request.refresh_from_db()
    assert rider_request.status == Status.FOLLOW_UP
    assert booked(host.slot) == 1


@pytest.mark.django_db
def test_joining_a_rider_joins_its_host(chain, host):
    # given a rider on the host
    first = appointment_join(
        repair_request=factories.routed_request_create(chain),
        visit=host,
        actor=chain.tenant,
        origin=Origin.TENANT,
    )

    # when another job is combined with the rider's visit
    second = appointment_join(
        repair_request=factories.routed_request_create(chain),
        visit=first,
        actor=chain.tenant,
        origin=Origin.TENANT,
    )

    # then it rides along on the host, not on the rider
    assert second.shared_visit_id == host.pk
