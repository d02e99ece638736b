"""scripts/api-walkthrough against a running portal (Django's live server): a platform admin
makes the contractor's API client and webhook endpoint with the admin's add forms, then the
contractor's system fetches a token, lists its orders, fetches the options of a routed order,
books one and records a visit of today as technically done, all over HTTP; the
webhook_receiver (in a thread) gets the flow's events, each with a valid signature."""

import importlib.machinery
import importlib.util
import io
import threading
from pathlib import Path

import pytest

from api.models import ApiClient
from outbox.models import OutboxMessage
from repairs.lifecycle import Status
from repairs.models import AppointmentStatus
from tests import factories
from webhooks.management.commands.webhook_receiver import ReceiverServer
from webhooks.models import WebhookEndpoint
from webhooks.signing import secret_new

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.django_db(transaction=True)


def walkthrough_module():
    """The script (a file without .py) loaded as a module, to call its main()."""
    loader = importlib.machinery.SourceFileLoader(
        "api_walkthrough", str(ROOT / "scripts" / "api-walkthrough")
    )
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture(autouse=True)
def plain_http(settings):
    """The live server speaks plain http on the loopback, as `make run` does."""
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.WEBHOOK_TIMEOUT = 2
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = False


@pytest.fixture
def receiver(tmp_path):
    """webhook_receiver's server in a thread; it is given the secret once the admin shows it."""
    out = io.StringIO()
    server = ReceiverServer(
        ("127.0.0.1", 0), secret=secret_new(), out=out, log_path=tmp_path / "events.jsonl"
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def admin_user(db):
    return factories.UserFactory(email="beheer@ketenportaal.nl", is_staff=True, is_superuser=True)


def test_the_walkthrough_books_and_completes_with_signed_webhooks(
    live_server, now, chain, admin_user, receiver, tmp_path
):
    # given a routed order with a free daypart in three days, and an order visited this morning
    routed = factories.routed_request_create(chain)
    free = chain.slot(days=3)
    visited = factories.scheduled_request_create(chain, chain.slot(days=0))
    walkthrough = walkthrough_module()
    env_file = tmp_path / "walkthrough.env"

    # when the platform admin makes the client and the endpoint in the admin
    setup_out = io.StringIO()
    setup = walkthrough.main(
        [
            "admin-setup",
            "--base-url",
            live_server.url,
            "--admin-email",
            admin_user.email,
            "--admin-password",
            factories.PASSWORD,
            "--contractor",
            chain.contractor.name,
            "--webhook-url",
            receiver.url,
            "--env-file",
            str(env_file),
        ],
        out=setup_out,
    )
    assert setup == 0, setup_out.getvalue()
    variables = dict(line.split("=", 1) for line in env_file.read_text().splitlines())
    receiver.secret = variables["WEBHOOK_SECRET"]

    # and the contractor's system walks through its day
    out = io.StringIO()
    code = walkthrough.main(
        [
            "run",
            "--base-url",
            live_server.url,
            "--client-id",
            variables["CLIENT_ID"],
            "--client-secret",
            variables["CLIENT_SECRET"],
            "--events",
            str(tmp_path / "events.jsonl"),
            "--wait",
            "15",
        ],
        out=out,
    )

    # then every step answered as expected
    transcript = out.getvalue()
    assert code == 0, transcript
    # the client is the admin's, for the contractor, with its default scopes
    api_client = ApiClient.objects.get(application__client_id=variables["CLIENT_ID"])
    assert (api_client.contractor, api_client.created_by) == (chain.contractor, admin_user)
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.contractor, endpoint.url, endpoint.created_by) == (
        chain.contractor,
        receiver.url,
        admin_user,
    )
    # the routed order is booked in the free daypart, the visited one completed
    routed.refresh_from_db()
    visited.refresh_from_db()
    assert routed.status == Status.SCHEDULED
    assert routed.appointments.get().slot_id == free.pk
    assert visited.status == Status.COMPLETED
    assert visited.appointments.get().status == AppointmentStatus.DONE
    # each step printed its HTTP status
    for line in (
        "HTTP 200  Bearer token for 3600 s",
        "HTTP 200  2 orders in all; on page 1: GUN 1, PLN 1",
        "HTTP 201  appointment",
        "HTTP 200  order TEC (Technisch gereed)",
        "all 2 expected events arrived, each with a valid signature",
    ):
        assert line in transcript
    # and the receiver got the flow's events, signed with the secret the admin showed
    received = [(d["type"], d["reference"], d["verified"]) for d in receiver.received]
    assert ("appointment.booked", routed.reference, True) in received
    assert ("request.completed", visited.reference, True) in received
    assert all(verified for _type, _reference, verified in received)
    assert set(OutboxMessage.objects.filter(kind="webhook").values_list("outcome", flat=True)) == {
        "HTTP 204"
    }


def test_the_walkthrough_stops_at_a_refused_token(live_server, chain):
    # given a secret that is not the client's
    out = io.StringIO()

    # when the walkthrough runs with it
    code = walkthrough_module().main(
        [
            "run",
            "--base-url",
            live_server.url,
            "--client-id",
            "unknown",
            "--client-secret",
            "wrong",
        ],
        out=out,
    )

    # then it stops after the token step and says why
    assert code == 1
    assert "HTTP 401  (expected 200)" in out.getvalue()
    assert "STOPPED: step 1: HTTP 401, expected 200" in out.getvalue()
