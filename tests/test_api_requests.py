"""onderhoudsverzoeken: an association's ERP lists and reads its own requests, and passes on
a tenant's report taken by phone (channel TEL), routed like any other report. A contractor's
client gets 403; another association's request is a 404."""

import json

import pytest

from outbox.models import OutboxMessage
from repairs.lifecycle import Status
from repairs.models import Channel, RepairRequest, Responsibility
from tests import factories
from tests.queries import count_statements
from tests.test_api_helpers import OHD, api, new_client, orders_create, token_for, world_create

pytestmark = pytest.mark.django_db

LIST = f"{OHD}/onderhoudsverzoeken"


@pytest.fixture
def world():
    return world_create()


@pytest.fixture
def callers(world):
    clients = {role: api(token_for(new)) for role, new in world.clients().items()}
    return {**clients, "no token": api(None)}


def report_body(chain, **changes) -> dict:
    return {
        "eenheid": {"id": chain.dwelling.reference},
        "defecten": [
            {
                "soort": {"code": chain.category.defect_code},
                "locatie": {"code": chain.category.room_code},
            }
        ],
        "omschrijving": "De kraan in de keuken lekt al een week.",
        "alternatiefContactgegeven": "06 98765432",
        **changes,
    }


def post(caller, body: dict, **headers):
    return caller.post(LIST, json.dumps(body), content_type="application/json", **headers)


def test_the_role_matrix_of_listing_and_reading_requests(world, callers):
    expected = {
        "association A": {world.xa.reference, world.unrouted.reference},
        "association B": {world.xb.reference, world.yb.reference},
    }
    cancelled = RepairRequest.objects.get(organisation=world.a, status=Status.CANCELLED)
    expected["association A"].add(cancelled.reference)
    for role, caller in callers.items():
        listing = caller.get(LIST)
        if role in expected:
            assert listing.status_code == 200, role
            assert {item["id"] for item in listing.json()} == expected[role], role
        else:
            assert listing.status_code == {"no token": 401}.get(role, 403), role
    for reference, owner in (
        (world.xa.reference, "association A"),
        (world.unrouted.reference, "association A"),
        (world.yb.reference, "association B"),
        ("R-2026-999999", None),
    ):
        for role, caller in callers.items():
            response = caller.get(f"{LIST}/{reference}")
            if role == "no token":
                assert response.status_code == 401
            elif role.startswith("contractor"):
                assert response.status_code == 403, role
            elif role == owner:
                assert response.status_code == 200
            else:
                assert response.status_code == 404, (role, reference)


def test_a_request_in_vera_words(world, callers):
    body = callers["association A"].get(f"{LIST}/{world.xa.reference}").json()
    assert body["id"] == body["code"] == world.xa.reference
    assert body["status"] == {"code": "INB", "naam": "In behandeling"}
    assert body["eenheid"]["id"] == world.xa.dwelling.reference
    assert body["onderhoudsorders"] == [{"id": world.xa.reference, "code": world.xa.reference}]
    assert body["contactmomenten"][0]["kanaal"] == {
        "code": "INT",
        "naam": "Internet / klantportaal",
    }
    unrouted = callers["association A"].get(f"{LIST}/{world.unrouted.reference}").json()
    assert unrouted["status"]["code"] == "BEO"
    assert unrouted["onderhoudsorders"] == []


def test_a_phone_report_is_saved_with_channel_tel_and_routed(world, callers):
    # when A's ERP passes on a tenant's phone report
    response = post(callers["association A"], report_body(world.chain_xa))
    # then it is a request of the dwelling's tenancy, routed to X, by phone
    assert response.status_code == 201, response.content
    body = response.json()
    created = RepairRequest.objects.get(reference=body["id"])
    assert created.channel == Channel.PHONE
    assert created.tenancy == world.chain_xa.tenancy
    assert created.contact_phone == "06 98765432"
    assert (created.status, created.contractor) == (Status.ROUTED, world.x)
    assert body["contactmomenten"][0]["kanaal"] == {"code": "TEL", "naam": "Telefoon"}
    assert body["status"]["code"] == "INB"
    assert response["Location"] == f"{LIST}/{created.reference}"
    # and X's system sees it as its new order
    orders = callers["contractor X"].get(f"{OHD}/onderhoudsorders").json()
    assert created.reference in {order["id"] for order in orders}


def test_a_phone_report_of_an_emergency_tells_the_contractor_at_once(world, callers):
    emergency = factories.RepairCategoryFactory(
        organisation=world.a, is_emergency=True, defect_code="LEK", room_code="BAD"
    )
    body = report_body(world.chain_xa)
    body["defecten"] = [{"soort": {"code": "LEK"}, "locatie": {"code": "BAD"}}]
    response = post(callers["association A"], body)
    assert response.status_code == 201, response.content
    created = RepairRequest.objects.get(reference=response.json()["id"])
    assert created.category == emergency
    assert created.is_urgent
    assert OutboxMessage.objects.filter(key=f"contractor-emergency-{created.pk}").exists()


def test_a_repeated_key_reports_once(world, callers):
    caller = callers["association A"]
    first = post(caller, report_body(world.chain_xa), HTTP_IDEMPOTENCY_KEY="tel-1")
    again = post(caller, report_body(world.chain_xa), HTTP_IDEMPOTENCY_KEY="tel-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert RepairRequest.objects.filter(channel=Channel.PHONE).count() == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"eenheid": {"id": "VHE-BESTAAT-NIET"}}, "eenheid"),
        ({"eenheid": {}}, "eenheid"),
        ({"defecten": []}, "defecten"),
        ({"defecten": [{"soort": {"code": "XXX"}, "locatie": {"code": "KEU"}}]}, "defecten"),
        ({"defecten": [{"soort": "LEK"}]}, "defecten"),
        ({"omschrijving": ""}, "omschrijving"),
    ],
)
def test_a_report_the_association_cannot_make_is_a_400(world, callers, change, field):
    response = post(callers["association A"], report_body(world.chain_xa, **change))
    assert response.status_code == 400
    assert response.json()["omschrijving"].startswith(f"{field}:")
    assert not RepairRequest.objects.filter(channel=Channel.PHONE).exists()


def test_another_associations_dwelling_and_a_tenants_own_job_are_refused(world, callers):
    # B's dwelling, for A's client: as unknown as a missing one
    assert post(callers["association A"], report_body(world.chain_yb)).status_code == 400
    # a category the tenant repairs themselves: refused as the tenant's report is
    world.chain_xa.category.responsibility = Responsibility.TENANT
    world.chain_xa.category.tenant_advice_nl = "Draai het kraanleertje zelf vast."
    world.chain_xa.category.save(update_fields=["responsibility", "tenant_advice_nl"])
    response = post(callers["association A"], report_body(world.chain_xa))
    assert response.status_code == 409
    assert response.json()["code"] == "NotReportable"
    assert not RepairRequest.objects.filter(channel=Channel.PHONE).exists()


def test_the_list_takes_as_many_queries_for_50_requests_as_for_1(world):
    caller = api(token_for(new_client(organisation=world.b)))

    def listing():
        response = caller.get(LIST, HTTP_X_PARAMETERS_AANTALPERPAGINA="100")
        assert response.status_code == 200
        return response

    one = count_statements(listing)
    orders_create(world.chain_yb, 48)
    fifty = count_statements(listing)
    assert len(listing().json()) == 50
    assert one == fifty
    assert fifty == 4  # the token with its client, the count, the page's ids, its rows
