"""onderhoudsorders: a routed repair request as the contractor's order, in OHD's field names
and VERA's codes. A contractor's client reads its orders across its associations, an
association's client the orders of its own requests; another's order answers 404, as a
missing one does; no token answers 401. Lists page as OHD does, and take as many queries for
50 orders as for 1."""

import datetime

import pytest
from django.utils import timezone

from repairs.models import RepairRequest
from tests.queries import count_statements
from tests.test_api_helpers import (
    OHD,
    api,
    ids,
    new_client,
    orders_create,
    token_for,
    world_create,
)

pytestmark = pytest.mark.django_db

LIST = f"{OHD}/onderhoudsorders"


@pytest.fixture
def world():
    return world_create()


@pytest.fixture
def callers(world):
    """A test client per role: four API clients and one without a token."""
    clients = {role: api(token_for(new)) for role, new in world.clients().items()}
    return {**clients, "no token": api(None)}


def test_the_role_matrix_of_ping_and_the_order_list(world, callers):
    expected = {
        "contractor X": {world.xa.reference, world.xb.reference},
        "contractor Y": {world.yb.reference},
        "association A": {world.xa.reference},
        "association B": {world.xb.reference, world.yb.reference},
    }
    for role, caller in callers.items():
        ping = caller.get(f"{OHD}/ping")
        listing = caller.get(LIST)
        if role == "no token":
            assert (ping.status_code, listing.status_code) == (401, 401)
            assert listing.json()["code"] == "not_authenticated"
            continue
        assert ping.status_code == 200, role
        assert listing.status_code == 200, role
        assert set(ids(listing)) == expected[role], role
        assert listing["X-Parameters-Aantal"] == str(len(expected[role])), role


def test_the_role_matrix_of_reading_one_order(world, callers):
    # who may read each order; everyone else gets the 404 of a missing order
    readers = {
        world.xa.reference: {"contractor X", "association A"},
        world.xb.reference: {"contractor X", "association B"},
        world.yb.reference: {"contractor Y", "association B"},
        world.unrouted.reference: set(),  # a request without an order
        "R-2026-999999": set(),  # no such request
    }
    for reference, allowed in readers.items():
        for role, caller in callers.items():
            response = caller.get(f"{LIST}/{reference}")
            if role == "no token":
                assert response.status_code == 401
            elif role in allowed:
                assert response.status_code == 200, (role, reference)
                assert response.json()["id"] == reference
            else:
                assert response.status_code == 404, (role, reference)
                assert response.json() == {"code": "not_found", "omschrijving": "Niet gevonden."}


def test_an_order_in_vera_words_and_codes(world, callers):
    # given X's scheduled order in B, with one planned visit
    visit = world.xb.appointments.get()
    # when X's planning system reads it
    order = callers["contractor X"].get(f"{LIST}/{world.xb.reference}").json()
    # then
    assert order["id"] == order["code"] == world.xb.reference
    assert order["idOrganisatie"] == "dommeldal"
    assert order["onderhoudSoort"] == {"code": "REP", "naam": "Reparatie"}
    assert order["status"] == {"code": "PLN", "naam": "Order gepland"}
    assert order["omschrijving"] == world.xb.description
    assert order["afspraken"] == [
        {
            "id": str(visit.pk),
            "status": {"code": "GEP", "naam": "Gepland"},
            "begindatum": visit.starts_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "einddatum": visit.ends_at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    ]
    [defect] = order["defecten"]
    assert defect["soort"] == {"code": "LEK", "naam": "Lekt"}
    assert defect["locatie"] == {"code": "KEU", "naam": "Keuken"}
    assert defect["eenheid"]["code"] == world.xb.dwelling.reference
    assert order["onderhoudstaken"] == [{"specialisme": {"code": "LOO", "naam": "Loodgieter"}}]
    assert order["onderhoudsverzoeken"] == [{"id": world.xb.reference, "code": world.xb.reference}]
    assert order["overeenkomst"] == {"id": str(world.chain_xb.contract.pk)}
    assert order["uitvoerendeSoort"] == {"code": "LEV", "naam": "Leverancier"}
    assert "uitersteGereeddatum" not in order  # no norm stored for this request
    extra = {item["naam"]: item["waarde"] for item in order["extra-attributen"]}
    dwelling = world.xb.dwelling
    assert extra["adres"] == f"{dwelling.street} {dwelling.house_number}"
    assert extra["postcode"] == dwelling.postcode
    assert extra["spoed"] == "false"
    # no field is sent empty: a routed order has no completion date yet
    routed = callers["contractor X"].get(f"{LIST}/{world.xa.reference}").json()
    assert routed["status"] == {"code": "GUN", "naam": "Order gegund"}
    assert routed["afspraken"] == []
    assert "technischGereeddatum" not in routed
    # the latest completion the contract's norm sets, when the request has one
    due = timezone.now().replace(microsecond=0) + datetime.timedelta(days=10)
    RepairRequest.objects.filter(pk=world.xa.pk).update(complete_due_at=due)
    with_norm = callers["contractor X"].get(f"{LIST}/{world.xa.reference}").json()
    assert with_norm["uitersteGereeddatum"] == due.astimezone(datetime.UTC).strftime(
        "%Y-%m-%dT%H:%M:%SZ"
    )
    assert None not in routed.values()


def test_each_lifecycle_status_with_an_order_code_is_an_order(world, callers):
    codes = {}
    for status in ("routed", "scheduled", "follow_up", "completed", "cancelled", "rejected"):
        RepairRequest.objects.filter(pk=world.xa.pk).update(status=status)
        response = callers["contractor X"].get(f"{LIST}/{world.xa.reference}")
        codes[status] = response.json()["status"]["code"] if response.status_code == 200 else 404
    assert codes == {
        "routed": "GUN",
        "scheduled": "PLN",
        "follow_up": "INB",
        "completed": "TEC",
        "cancelled": "GEA",
        # no order code in the lifecycle table: no order
        "rejected": 404,
    }


def test_paging_as_ohd_does(world):
    caller = api(token_for(new_client(contractor=world.y)))
    orders_create(world.chain_yb, 4)  # with yb: five orders of Y
    first = caller.get(LIST, HTTP_X_PARAMETERS_AANTALPERPAGINA="2")
    third = caller.get(LIST, {"pagina": 3}, HTTP_X_PARAMETERS_AANTALPERPAGINA="2")
    beyond = caller.get(LIST, {"pagina": 4}, HTTP_X_PARAMETERS_AANTALPERPAGINA="2")
    default = caller.get(LIST)
    by_query = caller.get(LIST, {"aantalPerPagina": 4})
    assert [len(page.json()) for page in (first, third, beyond, default, by_query)] == [
        2,
        1,
        0,
        5,
        4,
    ]
    assert first["X-Parameters-Aantal"] == "5"
    assert first["X-Parameters-AantalPerPagina"] == "2"
    assert first["X-Parameters-Pagina"] == "1"
    assert (third["X-Parameters-Pagina"], beyond["X-Parameters-Pagina"]) == ("3", "4")
    assert default["X-Parameters-AantalPerPagina"] == "20"
    # pages do not overlap and together hold every order once, newest first
    pages = [
        ids(caller.get(LIST, {"pagina": n}, HTTP_X_PARAMETERS_AANTALPERPAGINA="2"))
        for n in (1, 2, 3)
    ]
    assert [order for page in pages for order in page] == ids(default)
    assert len(set(ids(default))) == 5


@pytest.mark.parametrize(
    ("params", "headers", "field"),
    [
        ({"pagina": 0}, {}, "pagina"),
        ({"pagina": "twee"}, {}, "pagina"),
        ({}, {"HTTP_X_PARAMETERS_AANTALPERPAGINA": "101"}, "aantalPerPagina"),
        ({}, {"HTTP_X_PARAMETERS_AANTALPERPAGINA": "0"}, "aantalPerPagina"),
        ({"aantalPerPagina": "veel"}, {}, "aantalPerPagina"),
    ],
)
def test_a_page_or_size_out_of_range_is_a_400_foutbericht(world, params, headers, field):
    caller = api(token_for(new_client(contractor=world.y)))
    response = caller.get(LIST, params, **headers)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["omschrijving"].startswith(f"{field}: Geef een geheel getal")


@pytest.mark.parametrize("owner", ["contractor", "association"])
def test_the_list_takes_as_many_queries_for_50_orders_as_for_1(world, owner):
    chain = world.chain_yb
    new = (
        new_client(contractor=world.y)
        if owner == "contractor"
        else new_client(organisation=world.b)
    )
    caller = api(token_for(new))
    headers = {"HTTP_X_PARAMETERS_AANTALPERPAGINA": "100"}

    def listing():
        response = caller.get(LIST, **headers)
        assert response.status_code == 200
        return response

    one = count_statements(listing)
    orders_create(chain, 49)
    fifty = count_statements(listing)
    assert len(listing().json()) >= 50
    assert one == fifty
    assert fifty == 5  # the token with its client, the count, the page's ids, its rows, visits


def test_reading_an_order_takes_a_fixed_number_of_queries(world):
    caller = api(token_for(new_client(contractor=world.x)))
    queries = count_statements(lambda: caller.get(f"{LIST}/{world.xb.reference}"))
    assert queries == 3  # the token with its client, the order, its visits


def test_a_deep_page_holds_the_same_orders_in_the_same_order_as_the_whole_list(world):
    caller = api(token_for(new_client(contractor=world.y)))
    orders_create(world.chain_yb, 11)
    whole = caller.get(LIST, HTTP_X_PARAMETERS_AANTALPERPAGINA="100").json()
    paged = []
    for page in (1, 2, 3, 4):
        response = caller.get(LIST, {"pagina": page}, HTTP_X_PARAMETERS_AANTALPERPAGINA="4")
        assert response.status_code == 200
        assert response["X-Parameters-Aantal"] == str(len(whole))
        paged += response.json()
    assert [order["id"] for order in paged] == [order["id"] for order in whole]
    assert len(whole) >= 12
