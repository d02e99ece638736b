"""manage.py webhook_receiver: the receiver to try webhooks with on one machine. It checks
each delivery's Standard Webhooks signature, prints a line per event, answers 2xx to a valid
delivery and 401 to any other, and keeps the deliveries as JSON lines.

The deliveries here are the portal's own: a change made through repairs' services, queued in
the outbox and sent by webhooks' delivery handler over HTTP to the receiver in a thread."""

import io
import json
import threading
import time

import pytest
import requests
from django.core.management import CommandError, call_command

from outbox.models import OutboxMessage
from outbox.services import outbox_send_due
from repairs.services import repair_request_submit
from webhooks.handlers import body_bytes
from webhooks.management.commands.webhook_receiver import ReceiverServer, signature_check
from webhooks.services import webhook_endpoint_create
from webhooks.signing import headers as signed_headers
from webhooks.signing import secret_new


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.WEBHOOK_TIMEOUT = 2


class Running:
    """A webhook_receiver server on a free port of 127.0.0.1, in a thread."""

    def __init__(self, *, secret: str, log_path=None) -> None:
        self.out = io.StringIO()
        self.server = ReceiverServer(
            ("127.0.0.1", 0), secret=secret, out=self.out, log_path=log_path
        )
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def endpoint_secret():
    return secret_new()


@pytest.fixture
def running(endpoint_secret, tmp_path):
    running = Running(secret=endpoint_secret, log_path=tmp_path / "events.jsonl")
    yield running
    running.stop()


def report(chain):
    return repair_request_submit(
        dwelling=chain.dwelling,
        category=chain.category,
        description="De kraan lekt.",
        tenancy=chain.tenancy,
    )


def post(url: str, *, secret: str, body: dict, webhook_id: str = "msg_test", sent_at=None):
    """A delivery as the portal's handler sends it; the caller may change it afterwards."""
    content = body_bytes(body)
    headers = signed_headers(
        secret=secret,
        webhook_id=webhook_id,
        timestamp=int(sent_at if sent_at is not None else time.time()),
        body=content,
    )
    return content, headers


@pytest.mark.django_db
def test_a_delivery_of_the_portal_reaches_the_receiver_and_checks_out(chain, tmp_path):
    # given an endpoint of the contractor registered at the receiver, which is given its secret
    running = Running(secret=secret_new(), log_path=tmp_path / "events.jsonl")
    new = webhook_endpoint_create(
        url=running.url, events=["order.created"], contractor=chain.contractor
    )
    running.server.secret = new.secret

    try:
        # when a tenant's report is routed to the contractor and the outbox sends the event
        repair_request = report(chain)
        result = outbox_send_due()
    finally:
        running.stop()

    # then the receiver checked the signature, answered 204 and printed one line of it
    assert result.as_dict() == {"sent": 1, "failed": 0}
    message = OutboxMessage.objects.get(kind="webhook")
    assert (message.outcome, message.attempts) == ("HTTP 204", 1)
    [delivery] = running.server.received
    assert delivery["verified"] is True
    assert delivery["reason"] == ""
    assert delivery["type"] == "order.created"
    assert delivery["reference"] == repair_request.reference
    assert delivery["webhook_id"] == message.payload["webhook_id"]
    assert delivery["event"]["data"]["order_id"] == repair_request.pk
    [line] = running.out.getvalue().splitlines()
    assert "order.created" in line
    assert message.payload["webhook_id"] in line
    assert repair_request.reference in line
    assert line.endswith("signature ok")
    # and kept it as one JSON line
    [kept] = (tmp_path / "events.jsonl").read_text().splitlines()
    assert json.loads(kept) == delivery


@pytest.mark.django_db
def test_a_delivery_signed_with_another_secret_is_refused_and_tried_again(chain, running):
    # given an endpoint whose secret is not the one the receiver was started with
    webhook_endpoint_create(url=running.url, events=["order.created"], contractor=chain.contractor)

    # when the portal delivers an event
    repair_request = report(chain)
    result = outbox_send_due()

    # then the receiver answered 401 and said so; the portal keeps the delivery to try again
    assert result.as_dict() == {"sent": 0, "failed": 1}
    message = OutboxMessage.objects.get(kind="webhook")
    assert message.sent_at is None
    assert message.due_at is not None
    assert message.last_error.startswith("DeliveryFailed: HTTP 401")
    [delivery] = running.server.received
    assert delivery["verified"] is False
    assert delivery["reason"] == "signature does not match"
    assert delivery["reference"] == repair_request.reference
    assert running.out.getvalue().rstrip().endswith("REJECTED: signature does not match")


def test_a_tampered_body_is_rejected(running, endpoint_secret):
    # given a delivery signed with the right secret
    body = {"type": "request.completed", "data": {"order_id": 7, "reference": "R-2026-000007"}}
    content, headers = post(running.url, secret=endpoint_secret, body=body)

    # when the body is changed on its way (another order), and then sent as it was signed
    tampered = content.replace(b"R-2026-000007", b"R-2026-000008")
    refused = requests.post(running.url, data=tampered, headers=headers, timeout=5)
    accepted = requests.post(running.url, data=content, headers=headers, timeout=5)

    # then the changed one is refused with 401, the original one accepted
    assert refused.status_code == 401
    assert refused.text == "signature does not match"
    assert accepted.status_code == 204
    assert [(d["reference"], d["verified"]) for d in running.server.received] == [
        ("R-2026-000008", False),
        ("R-2026-000007", True),
    ]
    lines = running.out.getvalue().splitlines()
    assert "REJECTED" in lines[0]
    assert lines[1].endswith("signature ok")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"webhook-signature": None}, "missing webhook-id, webhook-timestamp or webhook-signature"),
        ({"webhook-id": "msg_other"}, "signature does not match"),
        ({"webhook-timestamp": "soon"}, "webhook-timestamp is not a number"),
        ({"webhook-signature": "v2,abc v1,Zm9v"}, "signature does not match"),
    ],
)
def test_a_delivery_with_wrong_headers_is_rejected(running, endpoint_secret, change, reason):
    content, headers = post(running.url, secret=endpoint_secret, body={"type": "order.created"})
    for name, value in change.items():
        if value is None:
            del headers[name]
        else:
            headers[name] = value

    response = requests.post(running.url, data=content, headers=headers, timeout=5)

    assert response.status_code == 401
    assert running.server.received[-1]["reason"] == reason


def test_an_old_delivery_is_rejected_as_a_replay(running, endpoint_secret):
    # given a delivery signed correctly ten minutes ago
    content, headers = post(
        running.url, secret=endpoint_secret, body={"type": "x"}, sent_at=time.time() - 600
    )

    response = requests.post(running.url, data=content, headers=headers, timeout=5)

    assert response.status_code == 401
    reason = running.server.received[-1]["reason"]
    assert reason.startswith("webhook-timestamp 60")  # 600 s, or a little more on a slow day
    assert reason.endswith("s off (more than 300 s)")


def test_a_second_signature_with_the_right_key_is_enough():
    # a sender rotating its secret signs with both; the receiver needs one that matches
    secret = secret_new()
    content = b'{"type":"order.created"}'
    good = signed_headers(secret=secret, webhook_id="msg_1", timestamp=1000, body=content)
    old = signed_headers(secret=secret_new(), webhook_id="msg_1", timestamp=1000, body=content)
    headers = {
        **good,
        "webhook-signature": f"{old['webhook-signature']} {good['webhook-signature']}",
    }
    assert (
        signature_check(secret=secret, headers=headers, body=content, now=1010, tolerance=300) == ""
    )


def test_the_command_wants_a_whsec_secret(monkeypatch):
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    with pytest.raises(CommandError, match="signing secret"):
        call_command("webhook_receiver", "--secret", "geheim")
