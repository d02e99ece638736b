"""What the API tests share (no tests here): a world of two associations and two contractors,
API clients made through the service, and tokens fetched over HTTP as a client system does."""

import base64
import dataclasses
from dataclasses import dataclass

from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from api.models import ApiClient
from api.scopes import ASSOCIATION_DEFAULT_SCOPES, CONTRACTOR_DEFAULT_SCOPES
from api.services import NewApiClient, api_client_create
from api.throttling import ApiClientRateThrottle
from contractors.models import Contractor
from portal.models import Organisation
from repairs.models import RepairRequest
from tests import factories

OHD = "/api/vera/ohd/v4"


def new_client(
    *,
    contractor: Contractor | None = None,
    organisation: Organisation | None = None,
    scopes: list[str] | None = None,
    name: str = "Planning",
) -> NewApiClient:
    if scopes is None:
        scopes = list(CONTRACTOR_DEFAULT_SCOPES if contractor else ASSOCIATION_DEFAULT_SCOPES)
    return api_client_create(
        name=name, scopes=scopes, contractor=contractor, organisation=organisation
    )


def throttle_reset(*clients: NewApiClient) -> None:
    """Forget the clients' past requests (a row id may be reused between tests on SQLite);
    only their own keys, never the whole cache."""
    for new in clients:
        cache.delete(
            ApiClientRateThrottle.cache_format % {"scope": "api_client", "ident": new.api_client.pk}
        )


def basic_auth(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def token_response(client_id: str, secret: str, **data):
    return Client().post(
        reverse("api:token"),
        {"grant_type": "client_credentials", **data},
        HTTP_AUTHORIZATION=basic_auth(client_id, secret),
    )


def token_for(new: NewApiClient, **data) -> str:
    response = token_response(new.client_id, new.client_secret, **data)
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def api(token: str | None) -> Client:
    """A test client that sends the bearer token with every request (None: no token)."""
    if token is None:
        return Client()
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@dataclass
class World:
    """Association A (kempenland) and B (dommeldal). Contractor X works in both, contractor Y
    in B only. Orders: xa (X in A, routed), xb (X in B, scheduled), yb (Y in B, routed); not
    orders: an unrouted request in A and one cancelled before routing."""

    a: Organisation
    b: Organisation
    x: Contractor
    y: Contractor
    xa: RepairRequest
    xb: RepairRequest
    yb: RepairRequest
    unrouted: RepairRequest
    chain_xa: factories.Chain
    chain_xb: factories.Chain
    chain_yb: factories.Chain

    def clients(self) -> dict[str, NewApiClient]:
        return {
            "contractor X": new_client(contractor=self.x, name="X planning"),
            "contractor Y": new_client(contractor=self.y, name="Y planning"),
            "association A": new_client(organisation=self.a, name="A ERP"),
            "association B": new_client(organisation=self.b, name="B ERP"),
        }


def world_create() -> World:
    a = factories.OrganisationFactory(name="Woonstichting Kempenland", slug="kempenland")
    b = factories.OrganisationFactory(name="Woonbron Dommeldal", slug="dommeldal")
    chain_xa = factories.chain_create(organisation=a, tenant_email="huurder@example.nl")
    chain_yb = factories.chain_create(
        organisation=b, postcode="5612CD", tenant_email="buurman@example.nl"
    )
    x = chain_xa.contractor
    # X holds a second contract, with B, for another area of B.
    contract_xb = factories.ContractFactory(
        area=factories.AreaFactory(organisation=b, name="Dommeldal Noord"), contractor=x
    )
    chain_xb = dataclasses.replace(
        chain_yb,
        contractor=x,
        contract=contract_xb,
        area=contract_xb.area,
        morning=factories.DaypartFactory(contractor=x, kind="morning"),
    )
    xa = factories.routed_request_create(chain_xa, contact_phone="06 11111111")
    xb = factories.scheduled_request_create(chain_xb, chain_xb.slot(days=3))
    yb = factories.routed_request_create(chain_yb)
    unrouted = factories.RepairRequestFactory(
        dwelling=chain_xa.dwelling, category=chain_xa.category, status="unrouted"
    )
    factories.RepairRequestFactory(
        dwelling=chain_xa.dwelling, category=chain_xa.category, status="cancelled"
    )
    return World(
        a=a,
        b=b,
        x=x,
        y=chain_yb.contractor,
        xa=xa,
        xb=xb,
        yb=yb,
        unrouted=unrouted,
        chain_xa=chain_xa,
        chain_xb=chain_xb,
        chain_yb=chain_yb,
    )


def orders_create(chain: factories.Chain, count: int) -> list[RepairRequest]:
    """`count` routed orders of the chain's contractor, every other one with a visit."""
    orders, slots = [], {}
    for number in range(count):
        order = factories.routed_request_create(chain, routed_at=timezone.now())
        if number % 2:
            days = 2 + number % 10
            if days not in slots:
                slots[days] = chain.slot(days=days, capacity=count)
            factories.visit_create(order, slots[days])
        orders.append(order)
    return orders


def ids(response) -> list[str]:
    return [order["id"] for order in response.json()]


__all__ = ["OHD", "ApiClient", "World", "api", "ids", "new_client", "token_for", "world_create"]
