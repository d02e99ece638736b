"""afspraak-opties and afspraken: a contractor's planning system fetches the free dayparts of
its capacity for an order, books one, moves it and cancels it, through the portal's one
booking (repairs.services.appointments): the same capacity lock, 24-hour rule and tenant
mails as the tenant's own booking. Other clients get 404 (not theirs) or 403 (not a
contractor's client). POSTs are idempotent with an Idempotency-Key."""

import datetime
import json
import threading

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.utils import timezone

from api.models import IdempotencyKey
from api.services import idempotency_keys_prune
from contractors.models import Slot
from outbox.models import OutboxMessage
from repairs import services
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, RepairEvent, RepairRequest
from tests import factories
from tests.queries import count_statements
from tests.test_api_helpers import (
    OHD,
    api,
    new_client,
    throttle_reset,
    token_for,
    world_create,
)

pytestmark = pytest.mark.django_db

OPTIONS = f"{OHD}/afspraak-opties"
AFSPRAKEN = f"{OHD}/afspraken"


def z(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def post(caller: Client, url: str, body: dict, **headers):
    return caller.post(url, json.dumps(body), content_type="application/json", **headers)


def patch(caller: Client, url: str, body: dict):
    return caller.patch(url, json.dumps(body), content_type="application/json")


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


def book(caller, order: RepairRequest, slot: Slot, **headers):
    return post(
        caller,
        AFSPRAKEN,
        {"onderhoudsorder": {"id": order.reference}, "begindatum": z(slot.starts_at)},
        **headers,
    )


# -- options ----------------------------------------------------------------------------------


def test_the_options_are_the_free_dayparts_of_the_orders_contractor_in_its_area(world, x):
    # given X's dayparts in A's area: one free, one full, one past the planning window
    free = world.chain_xa.slot(days=3, capacity=2, booked=1)
    world.chain_xa.slot(days=4, capacity=1, booked=1)
    world.chain_xa.slot(days=30)
    world.chain_xb.slot(days=2)  # X's, but in B's area: not this order's
    # when X's system asks for the options of its order in A
    response = x.get(OPTIONS, {"onderhoudsorder": world.xa.reference})
    # then only the free daypart, in OHD's words
    assert response.status_code == 200
    assert response.json() == [
        {
            "id": str(free.pk),
            "begindatum": z(free.starts_at),
            "einddatum": z(free.ends_at),
            "bloktijdBegin": z(free.starts_at),
            "bloktijdEind": z(free.ends_at),
            "onderhoudsorder": {"id": world.xa.reference, "code": world.xa.reference},
        }
    ]
    assert response["X-Parameters-Aantal"] == "1"


def test_the_role_matrix_of_the_options(world, callers):
    world.chain_xa.slot(days=3)
    expected = {
        "contractor X": 200,
        "contractor Y": 404,  # another contractor's order
        "association A": 403,  # not a contractor's client
        "association B": 403,
        "no token": 401,
    }
    for role, caller in callers.items():
        response = caller.get(OPTIONS, {"onderhoudsorder": world.xa.reference})
        assert response.status_code == expected[role], role
        if role != "contractor X":
            assert set(response.json()) == {"code", "omschrijving"}
    missing = callers["contractor X"].get(OPTIONS)
    assert missing.status_code == 400
    assert missing.json()["omschrijving"].startswith("onderhoudsorder:")


def test_the_options_take_as_many_queries_for_50_as_for_1(world, monkeypatch):
    # a contractor has three dayparts a day; a window of 20 days holds 50 of them
    monkeypatch.setattr("api.selectors.PLAN_DAYS_AHEAD", 20)
    caller = api(token_for(new_client(contractor=world.x)))
    world.chain_xa.slot(days=1)

    def listing():
        response = caller.get(
            OPTIONS, {"onderhoudsorder": world.xa.reference, "aantalPerPagina": 100}
        )
        assert response.status_code == 200
        return response

    one = count_statements(listing)
    evening = factories.DaypartFactory(contractor=world.x, kind="evening")
    dayparts = (world.chain_xa.morning, world.chain_xa.afternoon, evening)
    for days in range(1, 18):
        for daypart in dayparts:
            if (days, daypart) != (1, world.chain_xa.morning):
                world.chain_xa.slot(days=days, daypart=daypart)
    assert len(listing().json()) == 51
    assert count_statements(listing) == one
    assert one == 5  # the token with its client, the order, the count, the page's ids, rows


# -- booking ----------------------------------------------------------------------------------


def test_booking_an_option_plans_the_order_takes_the_place_and_mails_the_tenant(world, x):
    # given a free daypart of X for its routed order in A
    slot = world.chain_xa.slot(days=3, capacity=1)
    # when X's system books it
    response = book(x, world.xa, slot)
    # then the visit is there, as the tenant's booking makes it
    assert response.status_code == 201, response.content
    visit = Appointment.objects.get(request=world.xa)
    assert response.json() == {
        "id": str(visit.pk),
        "idOrganisatie": "kempenland",
        "status": {"code": "GEP", "naam": "Gepland"},
        "begindatum": z(slot.starts_at),
        "einddatum": z(slot.ends_at),
        "onderhoudsorder": {"id": world.xa.reference, "code": world.xa.reference},
        "onderhoudsverzoek": {"id": world.xa.reference, "code": world.xa.reference},
    }
    assert response["Location"] == f"{AFSPRAKEN}/{visit.pk}"
    slot.refresh_from_db()
    assert slot.booked == 1
    world.xa.refresh_from_db()
    assert world.xa.status == Status.SCHEDULED
    assert OutboxMessage.objects.filter(key=f"appointment-confirmation-{visit.pk}").exists()
    event = RepairEvent.objects.filter(request=world.xa, status=Status.SCHEDULED).get()
    assert event.actor is None
    assert event.data["via"].startswith("api_client:")
    # and the order reads planned, with its visit
    order = x.get(f"{OHD}/onderhoudsorders/{world.xa.reference}").json()
    assert order["status"]["code"] == "PLN"
    assert [visit["id"] for visit in order["afspraken"]] == [str(visit.pk)]
    # and reading the visit gives the same
    assert x.get(response["Location"]).json() == response.json()


def test_booking_a_full_daypart_is_a_409_and_changes_nothing(world, x):
    slot = world.chain_xa.slot(days=3, capacity=1, booked=1)
    response = book(x, world.xa, slot)
    assert response.status_code == 409
    assert response.json()["code"] == "SlotFull"
    assert not Appointment.objects.filter(request=world.xa).exists()
    world.xa.refresh_from_db()
    assert world.xa.status == Status.ROUTED


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"begindatum": "2026-12-07T07:00:00Z"}, "onderhoudsorder"),
        ({"onderhoudsorder": {"id": "R-2026-000001"}}, "begindatum"),
        ({"onderhoudsorder": {}, "begindatum": "2026-12-07T07:00:00Z"}, "onderhoudsorder"),
        ({"onderhoudsorder": {"id": "x"}, "begindatum": "morgen"}, "begindatum"),
    ],
)
def test_a_booking_without_order_or_time_is_a_400(world, x, body, field):
    response = post(x, AFSPRAKEN, body)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert response.json()["omschrijving"].startswith(f"{field}:")


def test_booking_a_time_no_daypart_begins_at_is_a_409(world, x):
    slot = world.chain_xa.slot(days=3)
    response = post(
        x,
        AFSPRAKEN,
        {
            "onderhoudsorder": {"id": world.xa.reference},
            "begindatum": z(slot.starts_at + datetime.timedelta(minutes=30)),
        },
    )
    assert response.status_code == 409
    assert response.json()["code"] == "SlotNotBookable"


def test_an_order_with_a_planned_visit_is_not_booked_twice(world, x):
    slot = world.chain_xb.slot(days=5)
    response = book(x, world.xb, slot)
    assert response.status_code == 409
    assert response.json()["code"] == "TransitionNotAllowed"
    assert Appointment.objects.filter(request=world.xb).count() == 1


def test_the_role_matrix_of_booking(world, callers):
    slot = world.chain_xa.slot(days=3, capacity=5)
    expected = {
        "contractor Y": 404,
        "association A": 403,
        "association B": 403,
        "no token": 401,
        "contractor X": 201,
    }
    for role, caller in callers.items():
        response = book(caller, world.xa, slot)
        assert response.status_code == expected[role], (role, response.content)
    assert Appointment.objects.filter(request=world.xa).count() == 1


# -- idempotency ------------------------------------------------------------------------------


def test_a_repeated_idempotency_key_returns_the_first_result_and_books_once(world, x):
    slot = world.chain_xa.slot(days=3, capacity=5)
    first = book(x, world.xa, slot, HTTP_IDEMPOTENCY_KEY="boek-xa-1")
    again = book(x, world.xa, slot, HTTP_IDEMPOTENCY_KEY="boek-xa-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Location"] == first["Location"]
    assert again["Idempotent-Replayed"] == "true"
    assert Appointment.objects.filter(request=world.xa).count() == 1
    slot.refresh_from_db()
    assert slot.booked == 1
    # without the key the same request is a new one, and is refused
    assert book(x, world.xa, slot).status_code == 409


def test_a_key_is_per_client_and_belongs_to_one_request(world, x):
    slot = world.chain_xa.slot(days=3, capacity=5)
    other = world.chain_xa.slot(days=4, capacity=5)
    assert book(x, world.xa, slot, HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    # the same key with another body: refused, nothing written
    reused = book(x, world.xa, other, HTTP_IDEMPOTENCY_KEY="k1")
    assert reused.status_code == 409
    assert reused.json()["code"] == "IdempotencyKeyReused"
    # another client may use the same key for its own request
    order = factories.routed_request_create(world.chain_xa)
    second = api(token_for(new_client(contractor=world.x, name="X tweede")))
    assert book(second, order, other, HTTP_IDEMPOTENCY_KEY="k1").status_code == 201
    assert IdempotencyKey.objects.filter(key="k1").count() == 2


def test_a_refused_write_stores_no_key_so_a_retry_runs_again(world, x):
    slot = world.chain_xa.slot(days=3, capacity=1, booked=1)
    assert book(x, world.xa, slot, HTTP_IDEMPOTENCY_KEY="k2").status_code == 409
    assert not IdempotencyKey.objects.exists()
    Slot.objects.filter(pk=slot.pk).update(booked=0)
    assert book(x, world.xa, slot, HTTP_IDEMPOTENCY_KEY="k2").status_code == 201


def test_a_key_of_more_than_255_characters_is_a_400(world, x):
    slot = world.chain_xa.slot(days=3)
    response = book(x, world.xa, slot, HTTP_IDEMPOTENCY_KEY="k" * 256)
    assert response.status_code == 400
    assert response.json()["omschrijving"].startswith("Idempotency-Key:")
    assert not Appointment.objects.exists() or not world.xa.appointments.exists()


def test_keys_older_than_24_hours_are_pruned(world, x):
    slot = world.chain_xa.slot(days=3, capacity=5)
    book(x, world.xa, slot, HTTP_IDEMPOTENCY_KEY="oud")
    assert idempotency_keys_prune() == 0
    later = timezone.now() + datetime.timedelta(hours=24, minutes=1)
    assert idempotency_keys_prune(now=later) == 1
    assert not IdempotencyKey.objects.exists()


# -- moving and cancelling --------------------------------------------------------------------


def test_moving_a_visit_plans_it_at_the_new_time_and_frees_the_old_place(world, x):
    visit = world.xb.appointments.get()
    new = world.chain_xb.slot(days=6, capacity=1)
    response = patch(x, f"{AFSPRAKEN}/{visit.pk}", {"begindatum": z(new.starts_at)})
    assert response.status_code == 200, response.content
    moved = Appointment.objects.get(request=world.xb, status=AppointmentStatus.PLANNED)
    assert response.json()["id"] == str(moved.pk)
    assert response.json()["begindatum"] == z(new.starts_at)
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.MOVED
    assert Slot.objects.get(pk=visit.slot_id).booked == 0
    assert Slot.objects.get(pk=new.pk).booked == 1
    # the tenant gets the new invitation; the contractor, who moved it, no mail
    assert OutboxMessage.objects.filter(key=f"appointment-confirmation-{moved.pk}").exists()
    assert not OutboxMessage.objects.filter(key__startswith="contractor-rescheduled").exists()
    # the old visit reads cancelled (ANN): OHD has no "moved"
    old = x.get(f"{AFSPRAKEN}/{visit.pk}").json()
    assert old["status"] == {"code": "ANN", "naam": "Geannuleerd"}


def test_cancelling_a_visit_routes_the_order_again_and_frees_the_place(world, x):
    visit = world.xb.appointments.get()
    response = patch(x, f"{AFSPRAKEN}/{visit.pk}", {"status": {"code": "ANN"}})
    assert response.status_code == 200, response.content
    assert response.json()["status"]["code"] == "ANN"
    world.xb.refresh_from_db()
    assert world.xb.status == Status.ROUTED
    assert Slot.objects.get(pk=visit.slot_id).booked == 0
    order = x.get(f"{OHD}/onderhoudsorders/{world.xb.reference}").json()
    assert order["status"]["code"] == "GUN"
    # cancelled once: again is refused
    again = patch(x, f"{AFSPRAKEN}/{visit.pk}", {"status": {"code": "ANN"}})
    assert again.status_code == 409


def test_within_24_hours_a_visit_can_no_longer_be_moved_or_cancelled(world, x):
    slot = world.chain_xb.slot(days=1)
    order = factories.scheduled_request_create(world.chain_xb, slot)
    visit = order.appointments.get()
    new = world.chain_xb.slot(days=5)
    with time_machine.travel(slot.starts_at - datetime.timedelta(hours=23), tick=False):
        moved = patch(x, f"{AFSPRAKEN}/{visit.pk}", {"begindatum": z(new.starts_at)})
        cancelled = patch(x, f"{AFSPRAKEN}/{visit.pk}", {"status": {"code": "ANN"}})
    assert (moved.status_code, cancelled.status_code) == (409, 409)
    assert {moved.json()["code"], cancelled.json()["code"]} == {"ChangeTooLate"}
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.PLANNED
    assert Slot.objects.get(pk=new.pk).booked == 0


@pytest.mark.parametrize(
    "body",
    [{}, {"status": {"code": "AFG"}}, {"status": {"code": "ANN"}, "begindatum": "x"}],
)
def test_a_change_that_is_neither_move_nor_cancel_is_a_400(world, x, body):
    visit = world.xb.appointments.get()
    response = patch(x, f"{AFSPRAKEN}/{visit.pk}", body)
    assert response.status_code == 400
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.PLANNED


def test_the_role_matrix_of_reading_and_changing_a_visit(world, callers):
    visit = world.xb.appointments.get()
    url = f"{AFSPRAKEN}/{visit.pk}"
    expected = {
        "contractor X": 200,
        "contractor Y": 404,
        "association A": 403,
        "association B": 403,
        "no token": 401,
    }
    for role, caller in callers.items():
        assert caller.get(url).status_code == expected[role], role
        if role != "contractor X":
            response = patch(caller, url, {"status": {"code": "ANN"}})
            assert response.status_code == expected[role], role
    assert callers["contractor X"].get(f"{AFSPRAKEN}/999999").status_code == 404
    assert callers["contractor X"].get(f"{AFSPRAKEN}/abc").status_code == 404
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.PLANNED


# -- listing visits ---------------------------------------------------------------------------


def test_the_visits_are_the_contractors_across_its_associations_latest_first(world, x):
    # given X's visit in B (in 3 days, from the world), a later one in A, and Y's in B
    later = factories.visit_create(world.xa, world.chain_xa.slot(days=5))
    factories.visit_create(world.yb, world.chain_yb.slot(days=4))
    earlier = world.xb.appointments.get()
    # when X's system lists its visits
    response = x.get(AFSPRAKEN)
    # then both of X's, the latest first, in OHD's words, and the total in the header
    assert response.status_code == 200
    assert [visit["id"] for visit in response.json()] == [str(later.pk), str(earlier.pk)]
    assert response.json()[0] == {
        "id": str(later.pk),
        "idOrganisatie": "kempenland",
        "status": {"code": "GEP", "naam": "Gepland"},
        "begindatum": z(later.starts_at),
        "einddatum": z(later.ends_at),
        "onderhoudsorder": {"id": world.xa.reference, "code": world.xa.reference},
        "onderhoudsverzoek": {"id": world.xa.reference, "code": world.xa.reference},
    }
    assert response["X-Parameters-Aantal"] == "2"


def test_the_role_matrix_of_listing_visits(world, callers):
    y_visit = factories.visit_create(world.yb, world.chain_yb.slot(days=4))
    expected = {
        "contractor X": (200, [str(world.xb.appointments.get().pk)]),
        "contractor Y": (200, [str(y_visit.pk)]),
        "association A": (403, None),  # not a contractor's client
        "association B": (403, None),
        "no token": (401, None),
    }
    for role, caller in callers.items():
        response = caller.get(AFSPRAKEN)
        status, visits = expected[role]
        assert response.status_code == status, role
        if visits is None:
            assert set(response.json()) == {"code", "omschrijving"}
        else:
            assert [visit["id"] for visit in response.json()] == visits, role
    paged = callers["contractor X"].get(AFSPRAKEN, {"pagina": 0})
    assert paged.status_code == 400
    assert paged.json()["omschrijving"].startswith("pagina:")


def test_the_visits_take_as_many_queries_for_50_as_for_1(world):
    caller = api(token_for(new_client(contractor=world.y)))
    headers = {"HTTP_X_PARAMETERS_AANTALPERPAGINA": "100"}
    factories.visit_create(world.yb, world.chain_yb.slot(days=2))

    def listing():
        response = caller.get(AFSPRAKEN, **headers)
        assert response.status_code == 200
        return response

    one = count_statements(listing)
    slot = world.chain_yb.slot(days=3, capacity=49)
    for _ in range(49):
        factories.visit_create(factories.routed_request_create(world.chain_yb), slot)
    assert len(listing().json()) == 50
    assert count_statements(listing) == one
    assert one == 4  # the token with its client, the count, the page's ids, its rows


# -- concurrency ------------------------------------------------------------------------------


def test_ten_api_clients_and_ten_tenants_booking_the_last_place_get_it_once(
    postgres_only, transactional_db
):
    # given a daypart with one place left, 10 orders of X's planning systems and 10 tenants'
    world = world_create()
    chain = world.chain_xa
    slot = chain.slot(days=2, capacity=3, booked=2)
    api_orders = [factories.routed_request_create(chain) for _ in range(10)]
    tenant_requests = [factories.routed_request_create(chain) for _ in range(10)]
    systems = []
    for number in range(10):
        new = new_client(contractor=world.x, name=f"X planning {number}")
        throttle_reset(new)
        systems.append(api(token_for(new)))
    barrier = threading.Barrier(20)
    outcomes: dict[str, object] = {}

    def by_api(index: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            outcomes[f"api{index}"] = book(systems[index], api_orders[index], slot)
        except Exception as error:
            outcomes[f"api{index}"] = error
        finally:
            connection.close()

    def by_tenant(index: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            outcomes[f"tenant{index}"] = services.appointment_book(
                repair_request=tenant_requests[index], slot_id=slot.pk
            )
        except Exception as error:
            outcomes[f"tenant{index}"] = error
        finally:
            connection.close()

    # when all 20 book the last place at the same moment
    threads = [threading.Thread(target=by_api, args=(n,)) for n in range(10)]
    threads += [threading.Thread(target=by_tenant, args=(n,)) for n in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then exactly one booking; the API clients that lost got a 409 SlotFull Foutbericht and
    # the tenants that lost the form's SlotFull refusal
    api_answers = [outcomes[f"api{n}"] for n in range(10)]
    tenant_answers = [outcomes[f"tenant{n}"] for n in range(10)]
    won = [a for a in api_answers if getattr(a, "status_code", None) == 201]
    won += [t for t in tenant_answers if isinstance(t, Appointment)]
    assert len(won) == 1, [repr(outcome) for outcome in outcomes.values()]
    api_lost = [a for a in api_answers if getattr(a, "status_code", None) == 409]
    assert all(a.json()["code"] == "SlotFull" for a in api_lost)
    tenant_lost = [t for t in tenant_answers if isinstance(t, services.SlotFull)]
    assert len(api_lost) + len(tenant_lost) == 19
    slot.refresh_from_db()
    assert slot.booked == 3
    assert Appointment.objects.filter(slot=slot).count() == 1
    assert RepairRequest.objects.filter(status=Status.SCHEDULED).count() == 2  # with xb
