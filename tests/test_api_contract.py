"""The contract with the standard: every answer of every implemented OHD operation, errors
included, is checked against the project's copy of VERA's OHD.yaml (openapi-core: the body,
its content type and the headers the operation declares), and every error body against OHD's
Foutbericht. The copy carries its licence, and the scopes the API knows are OHD's."""

import datetime
import functools
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


@pytest.fixture(scope="module")
def foutbericht(spec) -> OAS30Validator:
    registry = Registry().with_resource(
        "urn:ohd", Resource.from_contents(spec, default_specification=DRAFT4)
    )
    return OAS30Validator({"$ref": "urn:ohd#/components/schemas/Foutbericht"}, registry=registry)


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
    if response.status_code == 200 and response.content:
        raw = ohd_spec()["paths"][path][request.method]
        declared = raw["responses"]["200"]["content"]["application/json"]["schema"]
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
    association = api(token_for(new_client(organisation=world.b)))
    no_scope = api(token_for(new_client(organisation=world.a, scopes=["OHD.Afspraken.Read"])))
    nobody = api(None)
    expired = api("not-a-token")
    order = f"{OHD}/onderhoudsorders/{world.xb.reference}"

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
    assert len(answers["listOnderhoudsorders"][0][0].json()) == 5


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
    for operation_id, resource in (
        ("listOnderhoudsorders", "Onderhoudsorders"),
        ("readOnderhoudsorderById", "Onderhoudsorders"),
    ):
        [operation] = [
            operation
            for path in spec["paths"].values()
            for operation in path.values()
            if isinstance(operation, dict) and operation.get("operationId") == operation_id
        ]
        [requirement] = operation["security"]
        # OHD lists the resource's scopes; the All scopes of its global security open it too
        assert set(requirement["OAuth2"]) | {scopes.ALL_READ, scopes.ALL_READ_WRITE} == set(
            scopes.read_scopes(resource)
        )


def test_the_copy_of_ohd_keeps_its_licence(spec):
    licence = (SPEC_DIR / "LICENSE").read_text()
    assert "MIT License" in licence
    assert "Copyright (c) Aedes vereniging van woningcorporaties" in licence
    assert spec["info"]["license"]["name"] == "Copyright (c) Aedes vereniging van woningcorporaties"
    assert spec["info"]["version"].startswith("4.3")
