"""PATCH onderhoudsorders/{id}: a contractor's planning system reports on its order in VERA
codes, mapped onto the portal's lifecycle through its services. GUN accepts (an emergency is
confirmed), INB (in progress) has no status of its own here and is an event, PLN is what a
booked visit makes, TEC records the planned visit as fixed; a task detail code (MAT, DIS,
INS, OFF, ONV, AFW) records a visit that did not finish the work."""

import json

import pytest

from repairs.lifecycle import Status
from repairs.models import AppointmentStatus, EventKind, RepairEvent, RepairRequest, VisitOutcome
from tests import factories
from tests.test_api_helpers import OHD, api, token_for, world_create

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return world_create()


@pytest.fixture
def callers(world):
    clients = {role: api(token_for(new)) for role, new in world.clients().items()}
    return {**clients, "no token": api(None)}


@pytest.fixture
def x(callers):
    return callers["contractor X"]


def patch(caller, order: RepairRequest, body: dict):
    return caller.patch(
        f"{OHD}/onderhoudsorders/{order.reference}",
        json.dumps(body),
        content_type="application/json",
    )


def visited_today(world) -> RepairRequest:
    """X's order in A with a planned visit today: recordable."""
    return factories.scheduled_request_create(world.chain_xa, world.chain_xa.slot(days=0))


def test_technically_done_records_the_visit_as_fixed_at_the_first_time(world, x):
    order = visited_today(world)
    response = patch(
        x, order, {"status": {"code": "TEC"}, "onderhoudstaken": [{"omschrijving": "Leertje"}]}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == {"code": "TEC", "naam": "Technisch gereed"}
    assert response.json()["technischGereeddatum"]
    order.refresh_from_db()
    assert order.status == Status.COMPLETED
    assert order.first_time_fix is True
    visit = order.appointments.get()
    assert (visit.status, visit.outcome, visit.outcome_notes) == (
        AppointmentStatus.DONE,
        VisitOutcome.FIXED,
        "Leertje",
    )
    event = RepairEvent.objects.get(request=order, status=Status.COMPLETED)
    assert event.actor is None
    assert event.data["via"].startswith("api_client:")


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        ("MAT", VisitOutcome.FOLLOW_UP),
        ("DIS", VisitOutcome.FOLLOW_UP),
        ("INS", VisitOutcome.FOLLOW_UP),
        ("OFF", VisitOutcome.FOLLOW_UP),
        ("ONV", VisitOutcome.FOLLOW_UP),
        ("AFW", VisitOutcome.NO_ACCESS),
    ],
)
def test_a_task_detail_code_records_a_visit_that_did_not_finish(world, x, code, outcome):
    order = visited_today(world)
    response = patch(
        x,
        order,
        {"onderhoudstaken": [{"detailStatus": {"code": code}, "omschrijving": "Morgen verder"}]},
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"]["code"] == "INB"
    order.refresh_from_db()
    assert order.status == Status.FOLLOW_UP
    visit = order.appointments.get()
    assert (visit.outcome, visit.outcome_reason) == (outcome, code)


def test_a_fix_after_a_follow_up_is_not_a_first_time_fix(world, x):
    order = visited_today(world)
    patch(x, order, {"onderhoudstaken": [{"detailStatus": {"code": "MAT"}}]})
    factories.visit_create(order, world.chain_xa.slot(days=0, daypart=world.chain_xa.afternoon))
    assert patch(x, order, {"status": {"code": "TEC"}}).status_code == 200
    order.refresh_from_db()
    assert (order.status, order.first_time_fix) == (Status.COMPLETED, False)


def test_a_visit_is_not_recorded_before_its_day(world, x):
    response = patch(x, world.xb, {"status": {"code": "TEC"}})
    assert response.status_code == 409
    assert response.json()["code"] == "VisitNotRecordable"
    world.xb.refresh_from_db()
    assert world.xb.status == Status.SCHEDULED


def test_an_order_without_a_planned_visit_cannot_be_done(world, x):
    response = patch(x, world.xa, {"status": {"code": "TEC"}})
    assert response.status_code == 409
    assert response.json()["code"] == "VisitNotRecordable"


def test_in_progress_is_an_event_and_keeps_the_status(world, x):
    response = patch(x, world.xb, {"status": {"code": "INB"}})
    assert response.status_code == 200
    assert response.json()["status"]["code"] == "PLN"
    world.xb.refresh_from_db()
    assert world.xb.status == Status.SCHEDULED
    event = RepairEvent.objects.filter(request=world.xb, kind=EventKind.NOTE).get()
    assert event.data["vera_order"] == "INB"
    assert event.status == ""  # not on the tenant's timeline as a status


def test_accepting_an_emergency_confirms_it_and_an_order_otherwise_records_the_event(world, x):
    RepairRequest.objects.filter(pk=world.xa.pk).update(is_urgent=True)
    assert patch(x, world.xa, {"status": {"code": "GUN"}}).status_code == 200
    world.xa.refresh_from_db()
    assert world.xa.contractor_confirmed_at is not None
    assert world.xa.status == Status.ROUTED
    assert patch(x, world.xb, {"status": {"code": "GUN"}}).status_code == 200
    event = RepairEvent.objects.filter(request=world.xb, kind=EventKind.NOTE).get()
    assert event.data["vera_order"] == "GUN"


def test_planned_is_made_by_booking_not_by_saying_so(world, x):
    refused = patch(x, world.xa, {"status": {"code": "PLN"}})
    assert refused.status_code == 409
    assert refused.json()["code"] == "TransitionNotAllowed"
    assert patch(x, world.xb, {"status": {"code": "PLN"}}).status_code == 200


def test_a_closed_order_does_not_change(world, x):
    RepairRequest.objects.filter(pk=world.xa.pk).update(status=Status.CANCELLED)
    response = patch(x, world.xa, {"status": {"code": "INB"}})
    assert response.status_code == 409
    assert not RepairEvent.objects.filter(request=world.xa, kind=EventKind.NOTE).exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"status": {"code": "GEA"}},
        {"status": "TEC"},
        {"onderhoudstaken": [{"detailStatus": {"code": "XXX"}}]},
        {"status": {"code": "TEC"}, "onderhoudstaken": [{"detailStatus": {"code": "MAT"}}]},
        {
            "onderhoudstaken": [
                {"detailStatus": {"code": "MAT"}},
                {"detailStatus": {"code": "AFW"}},
            ]
        },
    ],
)
def test_a_status_or_code_the_contractor_does_not_set_is_a_400(world, x, body):
    order = visited_today(world)
    response = patch(x, order, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    order.refresh_from_db()
    assert order.status == Status.SCHEDULED


def test_the_role_matrix_of_changing_an_order(world, callers):
    expected = {
        "contractor X": 200,
        "contractor Y": 404,  # not its order
        "association A": 403,  # reads orders, does not carry them out
        "association B": 403,
        "no token": 401,
    }
    for role, caller in callers.items():
        response = patch(caller, world.xa, {"status": {"code": "INB"}})
        assert response.status_code == expected[role], role
    # Y's order is a 404 for X, as a missing one
    assert patch(callers["contractor X"], world.yb, {"status": {"code": "INB"}}).status_code == 404
    assert RepairEvent.objects.filter(kind=EventKind.NOTE).count() == 1
