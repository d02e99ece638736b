"""The lifecycle table (repairs/lifecycle.py) is the one definition of a request's statuses:
every VERA code in it, and the codes of channels, dayparts and appointment statuses, are codes
of the reference data the portal ships (repairs/data/vera_referentiedata.csv); the tenant's
words are translated; the status sets the queue, planning and its index read agree with it."""

import pytest
from django.db.models import Q
from django.utils import translation

from contractors.models import DaypartKind
from repairs import vera
from repairs.lifecycle import (
    ALLOWED_TRANSITIONS,
    EMERGENCY_AWAITS_CONTRACTOR,
    LIFECYCLE,
    OPEN_STATUSES,
    PLANNABLE_STATUSES,
    WAITING_FOR_A_VISIT,
    Queue,
    Status,
    statuses,
)
from repairs.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    RepairRequest,
)
from repairs.templatetags.lifecycle import status_is_open, status_is_plannable
from repairs.templatetags.tenant_status import tenant_status
from repairs.timeline import event_text

# The table of DESIGN.md, "Request lifecycle": VERA verzoek / order, and the tenant's line.
DESIGN = {
    Status.SUBMITTED: ("REG", None, "Ontvangen"),
    Status.ROUTED: ("INB", "GUN", "Doorgestuurd naar %(contractor)s"),
    Status.UNROUTED: ("BEO", None, "Ontvangen, wij plannen dit in"),
    Status.SCHEDULED: ("INB", "PLN", "Afspraak op %(day)s %(daypart)s"),
    Status.FOLLOW_UP: ("INB", "INB", "Er is een vervolgafspraak nodig"),
    Status.COMPLETED: ("TEC", "TEC", "Opgelost"),
    Status.CANCELLED: ("GEA", "GEA", "Geannuleerd"),
    Status.REJECTED: ("GEA", None, "Niet door ons uit te voeren"),
}


def test_every_status_has_one_stage_and_its_transitions():
    assert set(LIFECYCLE) == set(Status.values) == set(ALLOWED_TRANSITIONS)


@pytest.mark.parametrize("status", Status.values)
def test_request_and_order_codes_are_reference_codes(status):
    stage = LIFECYCLE[status]
    assert stage.vera_request in vera.codes(vera.REQUEST_STATUS)
    assert stage.vera_order is None or stage.vera_order in vera.codes(vera.ORDER_STATUS)
    assert (stage.vera_request, stage.vera_order) == DESIGN[status][:2]


@pytest.mark.parametrize("status", Status.values)
def test_tenant_words_are_translated(status):
    stage = LIFECYCLE[status]
    with translation.override("nl"):
        assert str(stage.tenant_event) == DESIGN[status][2]
        dutch_status = str(stage.tenant_status)
    with translation.override("en"):
        assert dutch_status != str(stage.tenant_status)
        assert str(tenant_status(status)) == str(stage.tenant_status)


def test_channel_appointment_status_and_daypart_carry_reference_codes():
    channels = vera.codes(vera.CHANNEL)
    assert {channel: Channel(channel).vera_code for channel in Channel.values} == {
        "portal": "INT",
        "phone": "TEL",
        "staff": "BAL",
        "api": "INT",
    }
    assert all(Channel(channel).vera_code in channels for channel in Channel.values)

    statuses = vera.codes(vera.APPOINTMENT_STATUS)
    assert {status: AppointmentStatus(status).vera_code for status in AppointmentStatus} == {
        "planned": "GEP",
        "done": "AFG",
        "moved": "ANN",
        "cancelled": "ANN",
    }
    assert all(AppointmentStatus(status).vera_code in statuses for status in AppointmentStatus)

    dayparts = vera.codes(vera.DAYPART)
    assert set(vera.DAYPART_CODES) == set(DaypartKind)
    assert vera.DAYPART_CODES == {"morning": "OCH", "afternoon": "MID", "evening": "AVO"}
    assert set(vera.DAYPART_CODES.values()) <= set(dayparts)


def test_a_request_and_a_visit_read_their_codes():
    repair_request = RepairRequest(status=Status.ROUTED, channel=Channel.PHONE)
    assert (
        repair_request.vera_status,
        repair_request.vera_order_status,
        repair_request.vera_channel,
    ) == ("INB", "GUN", "TEL")
    assert RepairRequest(status=Status.UNROUTED).vera_order_status is None
    assert Appointment(status=AppointmentStatus.MOVED).vera_status == "ANN"


def test_closed_statuses_are_final_and_only_open_ones_are_planned():
    # the one way back: the tenant reopens a completed request from the survey
    reopen = {Status.COMPLETED: {Status.FOLLOW_UP}}
    for status, stage in LIFECYCLE.items():
        onwards = ALLOWED_TRANSITIONS[status] - reopen.get(status, set())
        assert stage.is_open == bool(onwards), status
        assert not stage.is_plannable or stage.is_open, status
        assert stage.queue not in (Queue.PLAN, Queue.PLANNED) or stage.is_plannable, status


def test_the_status_sets_the_portal_reads():
    assert set(OPEN_STATUSES) == {
        Status.SUBMITTED,
        Status.ROUTED,
        Status.UNROUTED,
        Status.SCHEDULED,
        Status.FOLLOW_UP,
    }
    assert set(PLANNABLE_STATUSES) == {Status.ROUTED, Status.FOLLOW_UP, Status.SCHEDULED}
    assert set(EMERGENCY_AWAITS_CONTRACTOR) == {Status.ROUTED, Status.SCHEDULED, Status.UNROUTED}
    # The list to plan is read by the partial index request_contractor_waiting: its condition
    # names the same statuses in the same order, or the planner cannot use it.
    (index,) = [i for i in RepairRequest._meta.indexes if i.name == "request_contractor_waiting"]
    assert index.condition == Q(status__in=list(WAITING_FOR_A_VISIT), contract__isnull=False)
    assert WAITING_FOR_A_VISIT == (Status.ROUTED, Status.FOLLOW_UP)


def test_timeline_words_for_a_moved_visit_and_a_closed_door():
    planned = {"starts_at": "2026-06-11T08:00:00+02:00", "daypart": "morning"}
    with translation.override("en"):
        assert (
            event_text(Status.SCHEDULED, planned, "") == "Appointment on Thursday 11 June morning"
        )
        assert (
            event_text(Status.SCHEDULED, planned, Status.SCHEDULED)
            == "Appointment moved to Thursday 11 June morning"
        )
        assert event_text(Status.SCHEDULED, planned, Status.FOLLOW_UP).startswith("Appointment on")
        assert (
            event_text(Status.FOLLOW_UP, {"reason": "AFW"}, Status.SCHEDULED)
            == "Nobody was home; another appointment is needed"
        )
        assert event_text(Status.FOLLOW_UP, {"reason": "MAT"}, "") == (
            "Another appointment is needed"
        )
        assert event_text(Status.ROUTED, {"contractor": "Bouwbedrijf Noord"}, "") == (
            "Passed on to Bouwbedrijf Noord"
        )
        assert event_text(Status.ROUTED, {}, "") == "Passed on to the contractor"
        assert event_text(Status.COMPLETED, planned, Status.SCHEDULED) == "Solved"


def test_the_template_filters_read_open_and_plannable_from_the_table():
    assert [status for status in Status if status_is_open(status)] == list(
        statuses(lambda stage: stage.is_open)
    )
    assert not status_is_open(Status.REJECTED)
    assert [status for status in Status if status_is_plannable(status)] == [
        Status.ROUTED,
        Status.SCHEDULED,
        Status.FOLLOW_UP,
    ]
