"""The contract with the standard: every answer of every implemented OHD operation, errors
included, is checked against the project's copy of VERA's OHD.yaml (openapi-core: the body,
its content type and the headers the operation declares), and every error body against OHD's
Foutbericht. The copy carries its licence, and the scopes the API knows are OHD's."""

import datetime
import functools
import json
from pathlib import Path

import pytest
import yaml
from drf_spectacular.generators import SchemaGenerator
from openapi_core import OpenAPI
from openapi_core.contrib.django import DjangoOpenAPIRequest, DjangoOpenAPIResponse
from openapi_schema_validator import OAS30Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

from api import scopes
from tests import factories
from tests.test_api_helpers import (
    OHD,
    api,
    new_client,
    orders_create,
    throttle_reset,
    token_for,
    world_create,
)

SPEC_DIR = Path(__file__).resolve().parents[1] / "api" / "spec"


@functools.cache
def ohd_spec() -> dict:
    return yaml.safe_load((SPEC_DIR / "OHD.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def spec() -> dict:
    return ohd_spec()


@pytest.fixture(scope="module")
def openapi(spec) -> OpenAPI:
    # The standard's server is ohd.vera.io; ours is the test server under our base path.
    return OpenAPI.from_dict({**spec, "servers": [{"url": f"http://testserver{OHD}"}]})


def validator(spec: dict, ref: str) -> OAS30Validator:
    """A validator of one of OHD's schemas (its $ref), resolving OHD's own $refs."""
    registry = Registry().with_resource(
        "urn:ohd", Resource.from_contents(spec, default_specification=DRAFT4)
    )
    return OAS30Validator({"$ref": ref.replace("#/", "urn:ohd#/", 1)}, registry=registry)


@pytest.fixture(scope="module")
def foutbericht(spec) -> OAS30Validator:
    return validator(spec, "#/components/schemas/Foutbericht")


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def _properties(spec: dict, schema: dict) -> dict[str, dict]:
    """The properties a schema names, through $ref and allOf (OHD nests both)."""
    schema = _resolve(spec, schema)
    found = dict(schema.get("properties", {}))
    for part in schema.get("allOf", []):
        found |= _properties(spec, part)
    return found


def unknown_fields(spec: dict, schema: dict, value, path: str = "") -> list[str]:
    """Field names in `value` that OHD's schema does not name. OHD allows extra fields, so a
    misspelt name would validate; this catches it."""
    schema = _resolve(spec, schema)
    if isinstance(value, list):
        return [
            name
            for number, item in enumerate(value)
            for name in unknown_fields(spec, schema.get("items", {}), item, f"{path}[{number}]")
        ]
    if not isinstance(value, dict):
        return []
    properties = _properties(spec, schema)
    return [f"{path}.{key}" for key in value if key not in properties] + [
        name
        for key, item in value.items()
        if key in properties
        for name in unknown_fields(spec, properties[key], item, f"{path}.{key}")
    ]


def check(openapi, foutbericht, response, operation_id: str) -> None:
    """The answer as OHD's operation allows it; an error also as a Foutbericht."""
    request = DjangoOpenAPIRequest(response.wsgi_request)
    path = request.path_pattern.removeprefix(OHD)
    assert path in openapi.spec["paths"], request.path_pattern
    operation = openapi.spec / "paths" / path / request.method
    assert operation["operationId"] == operation_id
    openapi.validate_response(request, DjangoOpenAPIResponse(response))
    if response.status_code in (200, 201) and response.content:
        raw = ohd_spec()["paths"][path][request.method]
        content = raw["responses"][str(response.status_code)].get("content")
        if content is None:
            # OHD's PATCH answers 200 without a body; ours answers the changed resource,
            # which must then be the entity the operation takes (its request body's schema).
            declared = raw["requestBody"]["content"]["application/json"]["schema"]
            errors = validator(ohd_spec(), declared["$ref"]).iter_errors(response.json())
            assert [error.message for error in errors] == []
        else:
            declared = content["application/json"]["schema"]
        assert unknown_fields(ohd_spec(), declared, response.json()) == []
    if response.status_code >= 400:
        errors = [error.message for error in foutbericht.iter_errors(response.json())]
        assert errors == []
        assert set(response.json()) == {"code", "omschrijving"}
        assert response["Content-Type"] == "application/json"


@pytest.mark.django_db
def test_every_answer_of_the_implemented_operations_keeps_to_ohd(openapi, foutbericht, settings):
    world = world_create()
    orders_create(world.chain_xa, 3)
    world.xb.is_urgent = True
    world.xb.access_notes = "Sleutel bij de buren"
    world.xb.complete_due_at = world.xb.created_at + datetime.timedelta(days=14)
    world.xb.save(update_fields=["is_urgent", "access_notes", "complete_due_at"])
    contractor_client = new_client(contractor=world.x)
    throttle_reset(contractor_client)
    contractor = api(token_for(contractor_client))
    association_client = new_client(organisation=world.b)
    throttle_reset(association_client)
    association = api(token_for(association_client))
    no_scope = api(token_for(new_client(organisation=world.a, scopes=["OHD.Afspraken.Read"])))
    nobody = api(None)
    expired = api("not-a-token")
    order = f"{OHD}/onderhoudsorders/{world.xb.reference}"
    other_contractor = api(token_for(new_client(contractor=world.y)))
    other_association = api(token_for(new_client(organisation=world.a)))

    def send(caller, method: str, url: str, body: dict, **headers):
        return getattr(caller, method)(
            url, json.dumps(body), content_type="application/json", **headers
        )

    # the writes: X's orders with a visit today (recordable), and free dayparts
    today = world.chain_xa.slot(days=0, capacity=5)
    [fixed, follow_up, no_access, waiting] = [
        factories.scheduled_request_create(world.chain_xa, today) for _ in range(4)
    ]
    free = world.chain_xa.slot(days=5, capacity=3)
    later = world.chain_xa.slot(days=6, capacity=3)
    full = world.chain_xa.slot(days=7, capacity=1, booked=1)
    options = f"{OHD}/afspraak-opties"
    afspraken = f"{OHD}/afspraken"
    verzoeken = f"{OHD}/onderhoudsverzoeken"

    def booking(at, reference=world.xa.reference):
        return {"onderhoudsorder": {"id": reference}, "begindatum": z(at.starts_at)}

    booked = send(contractor, "post", afspraken, booking(free), HTTP_IDEMPOTENCY_KEY="c-1")
    visit = f"{afspraken}/{booked.json()['id']}"
    new_request = {
        "eenheid": {"id": world.chain_yb.dwelling.reference},
        "defecten": [
            {
                "soort": {"code": world.chain_yb.category.defect_code},
                "locatie": {"code": world.chain_yb.category.room_code},
            }
        ],
        "omschrijving": "De kraan in de keuken lekt, gemeld aan de telefoon.",
        "alternatiefContactgegeven": "06 98765432",
    }
    created = send(association, "post", verzoeken, new_request, HTTP_IDEMPOTENCY_KEY="v-1")
    request_url = f"{verzoeken}/{created.json()['id']}"

    answers = {
        "ping": [
            (contractor.get(f"{OHD}/ping"), 200),
            (nobody.get(f"{OHD}/ping"), 401),
            (expired.get(f"{OHD}/ping"), 401),
        ],
        "listOnderhoudsorders": [
            (contractor.get(f"{OHD}/onderhoudsorders"), 200),
            (association.get(f"{OHD}/onderhoudsorders"), 200),
            (contractor.get(f"{OHD}/onderhoudsorders", {"pagina": 9}), 200),
            (
                contractor.get(
                    f"{OHD}/onderhoudsorders",
                    {"pagina": 2},
                    HTTP_X_PARAMETERS_AANTALPERPAGINA="2",
                ),
                200,
            ),
            (contractor.get(f"{OHD}/onderhoudsorders", {"pagina": "x"}), 400),
            (
                contractor.get(f"{OHD}/onderhoudsorders", HTTP_X_PARAMETERS_AANTALPERPAGINA="500"),
                400,
            ),
            (nobody.get(f"{OHD}/onderhoudsorders"), 401),
            (no_scope.get(f"{OHD}/onderhoudsorders"), 403),
        ],
        "readOnderhoudsorderById": [
            (contractor.get(order), 200),
            (association.get(order), 200),
            (contractor.get(f"{OHD}/onderhoudsorders/{world.unrouted.reference}"), 404),
            (association.get(f"{OHD}/onderhoudsorders/{world.xa.reference}"), 404),
            (nobody.get(order), 401),
            (no_scope.get(order), 403),
        ],
        "updateOnderhoudsorderById": [
            (send(contractor, "patch", order, {"status": {"code": "INB"}}), 200),
            (
                send(
                    contractor,
                    "patch",
                    f"{OHD}/onderhoudsorders/{fixed.reference}",
                    {"status": {"code": "TEC"}},
                ),
                200,
            ),
            (
                send(
                    contractor,
                    "patch",
                    f"{OHD}/onderhoudsorders/{follow_up.reference}",
                    {"onderhoudstaken": [{"detailStatus": {"code": "MAT"}}]},
                ),
                200,
            ),
            (
                send(
                    contractor,
                    "patch",
                    f"{OHD}/onderhoudsorders/{no_access.reference}",
                    {"onderhoudstaken": [{"detailStatus": {"code": "AFW"}}]},
                ),
                200,
            ),
            (send(contractor, "patch", order, {"status": {"code": "XYZ"}}), 400),
            (
                send(
                    contractor,
                    "patch",
                    f"{OHD}/onderhoudsorders/{fixed.reference}",
                    {"status": {"code": "TEC"}},
                ),
                409,
            ),
            (send(other_contractor, "patch", order, {"status": {"code": "INB"}}), 404),
            (send(association, "patch", order, {"status": {"code": "INB"}}), 403),
            (send(nobody, "patch", order, {"status": {"code": "INB"}}), 401),
        ],
        "listAfspraakOpties": [
            (contractor.get(options, {"onderhoudsorder": waiting.reference}), 200),
            (contractor.get(options, {"onderhoudsorder": world.xa.reference}), 200),
            (contractor.get(options), 400),
            (other_contractor.get(options, {"onderhoudsorder": world.xa.reference}), 404),
            (association.get(options, {"onderhoudsorder": world.xb.reference}), 403),
            (nobody.get(options, {"onderhoudsorder": world.xa.reference}), 401),
        ],
        "createAfspraak": [
            (booked, 201),
            (send(contractor, "post", afspraken, booking(free), HTTP_IDEMPOTENCY_KEY="c-1"), 201),
            (send(contractor, "post", afspraken, booking(later), HTTP_IDEMPOTENCY_KEY="c-1"), 409),
            (send(contractor, "post", afspraken, booking(full, world.xb.reference)), 409),
            (send(contractor, "post", afspraken, {"begindatum": "gisteren"}), 400),
            (send(other_contractor, "post", afspraken, booking(free)), 404),
            (send(association, "post", afspraken, booking(free)), 403),
            (send(nobody, "post", afspraken, booking(free)), 401),
        ],
        "listAfspraken": [
            (contractor.get(afspraken), 200),
            (contractor.get(afspraken, {"pagina": 2}, HTTP_X_PARAMETERS_AANTALPERPAGINA="1"), 200),
            (contractor.get(afspraken, {"pagina": 99}), 200),
            (contractor.get(afspraken, {"pagina": "x"}), 400),
            (other_contractor.get(afspraken), 200),
            (association.get(afspraken), 403),
            (nobody.get(afspraken), 401),
        ],
        "readAfspraakById": [
            (contractor.get(visit), 200),
            (contractor.get(f"{afspraken}/999999"), 404),
            (other_contractor.get(visit), 404),
            (association.get(visit), 403),
            (nobody.get(visit), 401),
        ],
        "updateAfspraakById": [
            (send(other_contractor, "patch", visit, {"status": {"code": "ANN"}}), 404),
            (send(association, "patch", visit, {"status": {"code": "ANN"}}), 403),
            (send(nobody, "patch", visit, {"status": {"code": "ANN"}}), 401),
            (send(contractor, "patch", visit, {}), 400),
            (send(contractor, "patch", visit, {"begindatum": z(full.starts_at)}), 409),
            (send(contractor, "patch", visit, {"begindatum": z(later.starts_at)}), 200),
            (
                send(
                    contractor,
                    "patch",
                    f"{afspraken}/{world.xa.appointments.get(status='planned').pk}",
                    {"status": {"code": "ANN"}},
                ),
                200,
            ),
        ],
        "listOnderhoudsverzoeken": [
            (association.get(verzoeken), 200),
            (other_association.get(verzoeken), 200),
            (association.get(verzoeken, {"pagina": 0}), 400),
            (contractor.get(verzoeken), 403),
            (nobody.get(verzoeken), 401),
        ],
        "createOnderhoudsverzoek": [
            (created, 201),
            (send(association, "post", verzoeken, new_request, HTTP_IDEMPOTENCY_KEY="v-1"), 201),
            (send(association, "post", verzoeken, {"omschrijving": "x"}), 400),
            (send(other_association, "post", verzoeken, new_request), 400),
            (send(contractor, "post", verzoeken, new_request), 403),
            (send(nobody, "post", verzoeken, new_request), 401),
        ],
        "readOnderhoudsverzoekById": [
            (association.get(request_url), 200),
            (association.get(f"{verzoeken}/{world.yb.reference}"), 200),
            (other_association.get(request_url), 404),
            (contractor.get(request_url), 403),
            (nobody.get(request_url), 401),
        ],
    }
    # and a throttled answer, of each operation
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": "1/min"},
    }
    throttle_reset(contractor_client)
    contractor.get(f"{OHD}/ping")
    answers["ping"].append((contractor.get(f"{OHD}/ping"), 429))
    answers["listOnderhoudsorders"].append((contractor.get(f"{OHD}/onderhoudsorders"), 429))
    answers["readOnderhoudsorderById"].append((contractor.get(order), 429))
    answers["updateOnderhoudsorderById"].append(
        (send(contractor, "patch", order, {"status": {"code": "INB"}}), 429)
    )
    answers["listAfspraakOpties"].append(
        (contractor.get(options, {"onderhoudsorder": world.xa.reference}), 429)
    )
    answers["createAfspraak"].append((send(contractor, "post", afspraken, booking(free)), 429))
    answers["listAfspraken"].append((contractor.get(afspraken), 429))
    answers["readAfspraakById"].append((contractor.get(visit), 429))
    answers["updateAfspraakById"].append((send(contractor, "patch", visit, {}), 429))
    throttle_reset(association_client)
    association.get(verzoeken)
    answers["listOnderhoudsverzoeken"].append((association.get(verzoeken), 429))
    answers["createOnderhoudsverzoek"].append(
        (send(association, "post", verzoeken, new_request), 429)
    )
    answers["readOnderhoudsverzoekById"].append((association.get(request_url), 429))

    for operation_id, responses in answers.items():
        for response, status in responses:
            assert response.status_code == status, (operation_id, response.content)
            check(openapi, foutbericht, response, operation_id)
    # every operation we serve is checked here, under OHD's path and method for it
    assert set(answers) == set(served_operations())
    # the bodies were not empty by accident
    full = answers["readOnderhoudsorderById"][0][0].json()
    assert full["afspraken"] and full["defecten"] and full["extra-attributen"]
    assert full["uitersteGereeddatum"]
    assert len(answers["listOnderhoudsorders"][0][0].json()) == 9
    assert answers["listAfspraakOpties"][0][0].json()
    assert len(answers["listAfspraken"][0][0].json()) >= 2
    assert answers["listOnderhoudsverzoeken"][0][0].json()


def z(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def served_operations() -> dict[str, tuple[str, str]]:
    """operationId -> (path under the base path, method) of our own schema (/api/schema/)."""
    ours = SchemaGenerator().get_schema(request=None, public=True)
    return {
        operation["operationId"]: (path.removeprefix(OHD), method)
        for path, item in ours["paths"].items()
        for method, operation in item.items()
    }


def test_every_operation_we_serve_is_ohds_under_the_same_path_and_method(spec):
    ohd = {
        operation["operationId"]: (path, method)
        for path, item in spec["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "operationId" in operation
    }
    for operation_id, (path, method) in served_operations().items():
        assert ohd.get(operation_id) == (path, method), operation_id


def test_the_scopes_are_the_ones_ohd_names(spec):
    flows = spec["components"]["securitySchemes"]["OAuth2"]["flows"]
    assert flows["clientCredentials"]["scopes"] == scopes.SCOPES
    for operation_id, resource, writes in (
        ("listOnderhoudsorders", "Onderhoudsorders", False),
        ("readOnderhoudsorderById", "Onderhoudsorders", False),
        ("updateOnderhoudsorderById", "Onderhoudsorders", True),
        ("listAfspraakOpties", "AfspraakOpties", False),
        ("createAfspraak", "Afspraken", True),
        ("listAfspraken", "Afspraken", False),
        ("readAfspraakById", "Afspraken", False),
        ("updateAfspraakById", "Afspraken", True),
        ("listOnderhoudsverzoeken", "Onderhoudsverzoeken", False),
        ("createOnderhoudsverzoek", "Onderhoudsverzoeken", True),
        ("readOnderhoudsverzoekById", "Onderhoudsverzoeken", False),
    ):
        [operation] = [
            operation
            for path in spec["paths"].values()
            for operation in path.values()
            if isinstance(operation, dict) and operation.get("operationId") == operation_id
        ]
        [requirement] = operation["security"]
        # OHD lists the resource's scopes; the All scopes of its global security open it too
        ours = scopes.write_scopes(resource) if writes else scopes.read_scopes(resource)
        all_scopes = {scopes.ALL_READ_WRITE} if writes else {scopes.ALL_READ, scopes.ALL_READ_WRITE}
        assert set(requirement["OAuth2"]) | all_scopes == set(ours), operation_id


def test_the_copy_of_ohd_keeps_its_licence(spec):
    licence = (SPEC_DIR / "LICENSE").read_text()
    assert "MIT License" in licence
    assert "Copyright (c) Aedes vereniging van woningcorporaties" in licence
    assert spec["info"]["license"]["name"] == "Copyright (c) Aedes vereniging van woningcorporaties"
    assert spec["info"]["version"].startswith("4.3")
