"""Schemathesis against our own schema (/api/schema/): every operation it describes is called
in-process (the Django app as a WSGI app, on the test database) with generated requests, and
every answer must be what the schema promises: no 5xx, a documented status code, the
documented content type, a body and headers that fit the documented schema.

The world is real: contractor X's and association B's clients, each with every scope, and
orders, visits, free dayparts and requests of theirs and of others. Each operation is called
by both clients, with requests that fit the schema (positive) and requests that do not
(negative); the positive ones also draw real ids and bodies from the world, so the 200s and
409s are reached and not only the 404s. Hypothesis is derandomized and keeps no example
database, so every run sends the same requests."""

import datetime
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import Failure, FailureGroup
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api.scopes import SCOPES
from tests import factories
from tests.test_api_helpers import new_client, throttle_reset, token_for, world_create

pytestmark = pytest.mark.django_db

# Generated examples per operation, client and mode. With each real value sent once besides,
# a run is about 600 requests: 12 operations, 2 clients, positive for all and negative for
# the 8 a request can break; well under a minute.
MAX_EXAMPLES = 12

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# Not run: negative_data_rejection and positive_data_acceptance. OHD lets a message carry
# fields the standard does not name (the contract test reads ours against OHD.yaml), and a
# PATCH ignores fields that are not the contractor's to change, so a request that breaks our
# schema may rightly be answered 200; and a request that fits the schema may rightly be
# refused (an order of another client is a 404, a daypart already full a 409).


# Operations no request can break the schema of: ping takes nothing, and a read by id takes
# one path id that may be any string. Hypothesis finds no negative example for them
# (Unsatisfiable), so they are called with positive examples only.
NOTHING_TO_BREAK = {
    "ping",
    "readOnderhoudsorderById",
    "readAfspraakById",
    "readOnderhoudsverzoekById",
}


# Keys the generator rarely hits, sent every run: a NUL (PostgreSQL text cannot hold it) and
# a digit str.isdigit() takes and int() refuses both once answered 500; a number past any
# primary key must stay a 404.
TRICKY_KEYS = ["R-2026\x00", "\u00b2", "9" * 30]


def z(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@contextmanager
def in_test_transaction() -> Iterator[None]:
    """Serve requests through the WSGI handler inside the test's transaction: Django closes
    the connection at the end of a request, which would end the test's transaction; its own
    test client switches that off the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@dataclass
class Run:
    """What one run did: examples sent per operation, and the failures found."""

    examples: dict[str, int] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)
    # operation id -> the status codes it answered
    statuses: dict[str, set[int]] = field(default_factory=dict)


def fixed_values(world, slots, visits, dwelling, category) -> dict[str, list[dict]]:
    """Real values of the world, per operation id: Schemathesis generates what is not fixed."""
    orders = [world.xa, world.xb, world.yb, world.unrouted]
    keys = [order.reference for order in orders] + TRICKY_KEYS
    references = [{"path_parameters": {"id": key}} for key in keys]
    visit_ids = [
        {"path_parameters": {"id": key}} for key in [str(v.pk) for v in visits] + TRICKY_KEYS
    ]
    return {
        "readOnderhoudsorderById": references,
        "readOnderhoudsverzoekById": references,
        "updateOnderhoudsorderById": [
            {"path_parameters": {"id": order.reference}, "body": body}
            for order in orders
            for body in (
                {"status": {"code": "GUN"}},
                {"status": {"code": "INB"}},
                {"status": {"code": "TEC"}},
                {"onderhoudstaken": [{"detailStatus": {"code": "AFW"}}]},
            )
        ],
        "listAfspraakOpties": [{"query": {"onderhoudsorder": key}} for key in keys],
        "createAfspraak": [
            {"body": {"onderhoudsorder": {"id": order.reference}, "begindatum": z(slot.starts_at)}}
            for order in orders
            for slot in slots
        ],
        "readAfspraakById": visit_ids,
        "updateAfspraakById": [
            {"path_parameters": {"id": str(visit.pk)}, "body": body}
            for visit in visits
            for body in (
                {"status": {"code": "ANN"}},
                *({"begindatum": z(slot.starts_at)} for slot in slots),
            )
        ],
        "createOnderhoudsverzoek": [
            {
                "body": {
                    "eenheid": {"id": dwelling.reference},
                    "defecten": [
                        {
                            "soort": {"code": category.defect_code},
                            "locatie": {"code": category.room_code},
                        }
                    ],
                    "omschrijving": "De kraan in de keuken lekt.",
                    "alternatiefContactgegeven": "06 98765432",
                }
            },
            *(
                {
                    "body": {
                        "eenheid": {"id": dwelling.reference},
                        "defecten": [{"soort": {"code": key}, "locatie": {"code": key}}],
                        "omschrijving": "Lek.",
                    }
                }
                for key in TRICKY_KEYS
            ),
        ],
    }


def strategy(operation, mode: GenerationMode, fixed: list[dict]):
    generated = operation.as_strategy(generation_mode=mode)
    if mode is GenerationMode.NEGATIVE or not fixed:
        return generated
    # Half of the positive examples start from a real id or body of the world.
    return st.one_of(
        generated,
        st.sampled_from(fixed).flatmap(
            lambda values: operation.as_strategy(generation_mode=mode, **values)
        ),
    )


def run_operation(operation, mode, fixed, headers, run: Run, label: str) -> None:
    operation_id = operation.definition.raw["operationId"]
    sent = 0

    @settings(
        max_examples=MAX_EXAMPLES,
        derandomize=True,
        database=None,
        deadline=None,
        # Shrinking a failure could take minutes; the failing example is reported as it is.
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy(operation, mode, fixed))
    def check(case) -> None:
        nonlocal sent
        sent += 1
        response = case.call_and_validate(headers=headers, checks=CHECKS)
        run.statuses.setdefault(operation_id, set()).add(response.status_code)

    try:
        check()
    except FailureGroup as group:
        run.failures += [
            f"{label}: {failure.title}: {failure.message}" for failure in group.exceptions
        ]
    except Failure as failure:
        run.failures.append(f"{label}: {failure.title}: {failure.message}")
    except Unsatisfiable as error:
        run.failures.append(f"{label}: {error}")
    run.examples[label] = sent


def run_explicit(operation, fixed, headers, run: Run, label: str) -> None:
    """Each real id or body once, exactly as given: the tricky keys are sent every run."""
    operation_id = operation.definition.raw["operationId"]
    for values in fixed:
        media_type = "application/json" if "body" in values else None
        case = operation.Case(**values, media_type=media_type)
        try:
            response = case.call_and_validate(headers=headers, checks=CHECKS)
        except FailureGroup as group:
            run.failures += [
                f"{label}: {failure.title}: {failure.message}" for failure in group.exceptions
            ]
        except Failure as failure:
            run.failures.append(f"{label}: {failure.title}: {failure.message}")
        else:
            run.statuses.setdefault(operation_id, set()).add(response.status_code)
    run.examples[label] = len(fixed)


@pytest.fixture
def seeded(now, settings):
    """The world of the API tests, every other order with a visit, free dayparts to book and
    to move to, and one client of contractor X and one of association B with every scope."""
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_client": "100000/min", "api_token": "1000/min"},
    }
    world = world_create()
    slots = [world.chain_xa.slot(days=days, capacity=3) for days in (3, 4, 5)]
    slots.append(world.chain_xb.slot(days=4, capacity=2))
    planned = factories.scheduled_request_create(world.chain_xa, slots[0])
    visits = [*world.xb.appointments.all(), *planned.appointments.all()]
    contractor = new_client(contractor=world.x, scopes=list(SCOPES), name="X planning")
    association = new_client(organisation=world.b, scopes=list(SCOPES), name="B ERP")
    throttle_reset(contractor, association)
    fixed = fixed_values(world, slots, visits, world.chain_yb.dwelling, world.chain_yb.category)
    return {
        "contractor X": {"Authorization": f"Bearer {token_for(contractor)}"},
        "association B": {"Authorization": f"Bearer {token_for(association)}"},
    }, fixed


def schema_operations() -> list:
    schema = schemathesis.openapi.from_wsgi("/api/schema/", WSGIHandler())
    return [result.ok() for result in schema.get_all_operations()]


def test_every_operation_answers_as_our_schema_says(seeded):
    # given both clients and every operation of our schema
    callers, fixed = seeded
    run = Run()
    with in_test_transaction():
        operations = schema_operations()
        # when each client calls each operation with generated requests
        for operation in operations:
            operation_id = operation.definition.raw["operationId"]
            modes = [GenerationMode.POSITIVE]
            if operation_id not in NOTHING_TO_BREAK:
                modes.append(GenerationMode.NEGATIVE)
            for role, headers in callers.items():
                if fixed.get(operation_id):
                    label = f"{operation.label} [{role}, explicit]"
                    run_explicit(operation, fixed[operation_id], headers, run, label)
                for mode in modes:
                    label = f"{operation.label} [{role}, {mode.value}]"
                    run_operation(operation, mode, fixed.get(operation_id, []), headers, run, label)
    print(
        f"\nschemathesis: {len(operations)} operations, {sum(run.examples.values())} examples, "
        f"{len(run.failures)} failing; answers: "
        + ", ".join(f"{op} {sorted(codes)}" for op, codes in sorted(run.statuses.items()))
    )

    # then every answer was one the schema promises
    assert run.failures == [], "\n\n".join(run.failures)
    # and the run reached every operation's success, not only its refusals
    assert len(operations) == 12
    assert all(count > 0 for count in run.examples.values()), run.examples
    succeeded = {op for op, codes in run.statuses.items() if codes & {200, 201}}
    assert succeeded == {operation.definition.raw["operationId"] for operation in operations}
