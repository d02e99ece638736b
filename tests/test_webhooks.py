"""Webhooks: contractors' and associations' systems are told of changes by a signed POST.

Every test here posts to a real HTTP receiver on loopback (http.server in a thread) and
checks what it received, the way a contractor's system would."""

import base64
import datetime
import hashlib
import hmac
import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from outbox.models import OutboxMessage
from outbox.services import outbox_send_due
from repairs.lifecycle import ALLOWED_TRANSITIONS, Status
from repairs.services import (
    repair_request_assign_contract,
    repair_request_cancel,
    repair_request_reopen,
    repair_request_route,
    repair_request_submit,
    repair_request_transition,
)
from repairs.services.appointments import appointment_cancel, appointment_plan
from repairs.services.visits import visit_record
from surveys.models import InvitationStatus, SurveyInvitation
from surveys.services import survey_answer
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import (
    webhook_deliveries_resend,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_event_emit,
)

from . import factories

ALL_EVENTS = [
    "order.created",
    "order.cancelled",
    "appointment.booked",
    "appointment.moved",
    "appointment.cancelled",
    "request.completed",
    "survey.graded",
]


class Receiver:
    """A webhook receiver on 127.0.0.1: keeps what it was sent, answers `status`; it can be
    stopped (connections refused) and started again on the same port."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.status = 204
        self.delay = 0.0
        self.server: ThreadingHTTPServer | None = None
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["content-length"]))
                time.sleep(receiver.delay)
                receiver.received.append(
                    {
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                        "path": self.path,
                    }
                )
                self.send_response(receiver.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def events(self) -> list[tuple[str, int]]:
        """(type, order id) of each delivery received, in order."""
        return [
            (json.loads(r["body"])["type"], json.loads(r["body"])["data"]["order_id"])
            for r in self.received
        ]

    def bodies_at(self, path: str) -> list[dict]:
        """The bodies posted to one path of the receiver (one endpoint each), in order."""
        return [json.loads(r["body"]) for r in self.received if r["path"] == path]


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture(autouse=True)
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.WEBHOOK_TIMEOUT = 2


def verify(secret: str, headers: dict, body: bytes) -> bool:
    """The receiver's check, written from the Standard Webhooks spec and nothing of ours."""
    key = base64.b64decode(secret.split("_", 1)[1])
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.{body.decode()}"
    expected = base64.b64encode(hmac.new(key, signed.encode(), hashlib.sha256).digest())
    return any(
        hmac.compare_digest(expected.decode(), part.split(",", 1)[1])
        for part in headers["webhook-signature"].split()
        if part.startswith("v1,")
    )


def later(time_machine, **delta) -> None:
    time_machine.move_to(timezone.now() + datetime.timedelta(**delta), tick=True)


def emit(chain, order_id: int, event_type: str = "order.created") -> None:
    webhook_event_emit(
        event_type=event_type,
        organisation_id=chain.organisation.pk,
        contractor_id=chain.contractor.pk,
        subject_id=order_id,
        data={"order_id": order_id},
    )


# Signing, and the events of a request's life.


@pytest.mark.django_db
def test_a_routed_request_reaches_the_contractors_endpoint_signed(chain, receiver):
    # given the contractor's endpoint for new orders
    new = webhook_endpoint_create(
        url=receiver.url, events=["order.created"], contractor=chain.contractor
    )

    # when a tenant reports a repair that is routed to the contractor, and the outbox sends
    repair_request = repair_request_submit(
        dwelling=chain.dwelling,
        category=chain.category,
        description="De kraan lekt.",
        reported_by=chain.tenant,
        tenancy=chain.tenancy,
    )
    result = outbox_send_due()

    # then one signed POST arrived, with the thin payload of the order
    assert result.as_dict() == {"sent": 1, "failed": 0}
    [delivery] = receiver.received
    assert new.secret.startswith("whsec_")
    assert verify(new.secret, delivery["headers"], delivery["body"])
    assert not verify(
        "whsec_" + base64.b64encode(b"x" * 32).decode(), delivery["headers"], delivery["body"]
    )
    assert delivery["headers"]["webhook-id"].startswith("msg_")
    assert abs(int(delivery["headers"]["webhook-timestamp"]) - timezone.now().timestamp()) < 60
    body = json.loads(delivery["body"])
    assert body["type"] == "order.created"
    assert body["data"] == {
        "order_id": repair_request.pk,
        "reference": repair_request.reference,
        "organisation_id": chain.organisation.pk,
        "contractor_id": chain.contractor.pk,
        "order_status": "GUN",
        "request_status": "INB",
        "urgent": False,
    }
    message = OutboxMessage.objects.get()
    assert (message.kind, message.outcome, message.attempts) == ("webhook", "HTTP 204", 1)


@pytest.mark.django_db
def test_booking_moving_and_cancelling_a_visit_are_told_in_order(chain, receiver, now):
    # given a routed request and an endpoint of the association for every event
    webhook_endpoint_create(url=receiver.url, events=ALL_EVENTS, organisation=chain.organisation)
    planner = factories.planner_create(chain.contractor)
    repair_request = repair_request_submit(
        dwelling=chain.dwelling, category=chain.category, description="Lek.", tenancy=chain.tenancy
    )
    first, second = chain.slot(days=3), chain.slot(days=4)

    # when the planner books a visit, moves it, cancels it, and the tenant cancels the repair
    appointment = appointment_plan(repair_request=repair_request, slot_id=first.pk, actor=planner)
    moved = appointment_plan(repair_request=repair_request, slot_id=second.pk, actor=planner)
    appointment_cancel(repair_request=repair_request, actor=planner)
    repair_request_cancel(repair_request=repair_request, reason="Zelf gemaakt", actor=chain.tenant)
    outbox_send_due()

    # then the receiver heard each, in that order, with the visit's id and times
    order = repair_request.pk
    assert receiver.events() == [
        ("order.created", order),
        ("appointment.booked", order),
        ("appointment.moved", order),
        ("appointment.cancelled", order),
        ("order.cancelled", order),
    ]
    bodies = [json.loads(r["body"])["data"] for r in receiver.received]
    assert bodies[1]["appointment"] == {
        "id": appointment.pk,
        "starts_at": first.starts_at.astimezone(datetime.UTC).isoformat(),
        "ends_at": first.ends_at.astimezone(datetime.UTC).isoformat(),
    }
    assert bodies[2]["appointment"]["id"] == moved.pk
    assert bodies[3]["appointment"] == {"id": moved.pk}
    assert bodies[4]["order_status"] == "GEA"


@pytest.mark.django_db
def test_an_event_nobody_asked_for_is_not_queued(chain, receiver):
    # given an endpoint for survey grades only
    webhook_endpoint_create(url=receiver.url, events=["survey.graded"], contractor=chain.contractor)

    # when an order is created
    repair_request_submit(
        dwelling=chain.dwelling, category=chain.category, description="Lek.", tenancy=chain.tenancy
    )

    # then nothing waits and nothing arrives
    assert outbox_send_due().as_dict() == {"sent": 0, "failed": 0}
    assert not OutboxMessage.objects.filter(kind="webhook").exists()
    assert receiver.received == []


@pytest.mark.django_db
def test_an_order_taken_from_its_contractor_is_cancelled_for_it_and_created_for_the_next(
    chain, receiver, staff_user
):
    # given endpoints of the contractor, of another contractor and of the association
    other = factories.ContractorFactory()
    endpoints = {"old": chain.contractor, "new": other}
    for path, contractor in endpoints.items():
        webhook_endpoint_create(
            url=f"{receiver.url}/{path}", events=ALL_EVENTS, contractor=contractor
        )
    webhook_endpoint_create(
        url=f"{receiver.url}/org", events=ALL_EVENTS, organisation=chain.organisation
    )
    repair_request = repair_request_submit(
        dwelling=chain.dwelling, category=chain.category, description="Lek.", tenancy=chain.tenancy
    )

    # when the contract ends, the order is routed again and finds none (unrouted), and staff
    # hand it to the other contractor's new contract for the area
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    type(chain.contract).objects.filter(pk=chain.contract.pk).update(valid_until=yesterday)
    repair_request_route(repair_request=repair_request)
    new_contract = factories.ContractFactory(
        area=chain.area, contractor=other, valid_from=timezone.localdate()
    )
    repair_request_assign_contract(
        repair_request=repair_request, contract_id=new_contract.pk, actor=staff_user
    )
    outbox_send_due()

    # then the old contractor heard its order is off, the new one that it has it, and the
    # association (whose request goes on) only of the orders
    old = receiver.bodies_at("/hooks/old")
    assert [body["type"] for body in old] == ["order.created", "order.cancelled"]
    assert old[1]["data"] == {
        "order_id": repair_request.pk,
        "reference": repair_request.reference,
        "organisation_id": chain.organisation.pk,
        "contractor_id": chain.contractor.pk,
        "order_status": "GEA",
        "request_status": "BEO",
        "urgent": False,
        "withdrawn": True,
    }
    new = receiver.bodies_at("/hooks/new")
    assert [body["type"] for body in new] == ["order.created"]
    assert (new[0]["data"]["contractor_id"], new[0]["data"]["order_status"]) == (other.pk, "GUN")
    org = receiver.bodies_at("/hooks/org")
    assert [body["type"] for body in org] == ["order.created", "order.created"]
    assert [body["data"]["contractor_id"] for body in org] == [chain.contractor.pk, other.pk]


@pytest.mark.django_db
def test_a_request_unrouted_and_then_cancelled_tells_its_old_contractor_once(chain, receiver):
    # given the contractor's endpoint and its routed order
    webhook_endpoint_create(url=receiver.url, events=ALL_EVENTS, contractor=chain.contractor)
    repair_request = repair_request_submit(
        dwelling=chain.dwelling, category=chain.category, description="Lek.", tenancy=chain.tenancy
    )

    # when the order is taken back to unrouted, and the tenant then cancels the request
    repair_request_transition(repair_request=repair_request, status=Status.UNROUTED)
    repair_request_cancel(repair_request=repair_request, reason="Zelf gemaakt", actor=chain.tenant)
    outbox_send_due()

    # then the contractor heard of the end of its order once
    assert receiver.events() == [
        ("order.created", repair_request.pk),
        ("order.cancelled", repair_request.pk),
    ]


@pytest.mark.django_db
def test_an_order_handed_to_another_contractor_in_one_change(chain, receiver, monkeypatch):
    # given both contractors' endpoints, and a re-route in one step (routed to routed)
    monkeypatch.setitem(
        ALLOWED_TRANSITIONS, Status.ROUTED, ALLOWED_TRANSITIONS[Status.ROUTED] | {Status.ROUTED}
    )
    other_contract = factories.ContractFactory(
        area=factories.AreaFactory(organisation=chain.organisation)
    )
    webhook_endpoint_create(
        url=f"{receiver.url}/old", events=ALL_EVENTS, contractor=chain.contractor
    )
    webhook_endpoint_create(
        url=f"{receiver.url}/new", events=ALL_EVENTS, contractor=other_contract.contractor
    )
    repair_request = repair_request_submit(
        dwelling=chain.dwelling, category=chain.category, description="Lek.", tenancy=chain.tenancy
    )

    # when the order is given to the other contract
    repair_request.contract = other_contract
    repair_request.contractor_id = other_contract.contractor_id
    repair_request_transition(
        repair_request=repair_request,
        status=Status.ROUTED,
        update_fields=("contract", "contractor"),
    )
    outbox_send_due()

    # then the old contractor's order is cancelled and the new one's created
    old = receiver.bodies_at("/hooks/old")
    assert [(body["type"], body["data"].get("withdrawn")) for body in old] == [
        ("order.created", None),
        ("order.cancelled", True),
    ]
    new = receiver.bodies_at("/hooks/new")
    assert [body["type"] for body in new] == ["order.created"]
    assert new[0]["data"]["contractor_id"] == other_contract.contractor_id


@pytest.mark.django_db
def test_a_reopened_repair_is_an_order_for_its_contractor_again(chain, receiver, time_machine):
    # given the contractor's endpoint and a repair its visit fixed
    webhook_endpoint_create(url=receiver.url, events=ALL_EVENTS, contractor=chain.contractor)
    craftsman = factories.craftsman_create(chain.contractor)
    repair_request = repair_request_submit(
        dwelling=chain.dwelling, category=chain.category, description="Lek.", tenancy=chain.tenancy
    )
    slot = chain.slot(days=1)
    visit = appointment_plan(repair_request=repair_request, slot_id=slot.pk, actor=None)
    time_machine.move_to(slot.starts_at + datetime.timedelta(hours=1), tick=True)
    visit_record(appointment=visit, outcome="fixed", actor=craftsman)

    # when the tenant says it is not solved
    repair_request_reopen(repair_request=repair_request, reason="Lekt nog steeds", by=chain.tenant)
    outbox_send_due()

    # then the contractor is given the order again, marked reopened, to plan
    assert [event for event, _order in receiver.events()] == [
        "order.created",
        "appointment.booked",
        "request.completed",
        "order.created",
    ]
    reopened = json.loads(receiver.received[-1]["body"])["data"]
    assert reopened["reopened"] is True
    assert (reopened["order_status"], reopened["request_status"]) == ("INB", "INB")
    assert "reopened" not in json.loads(receiver.received[0]["body"])["data"]


# Delivery: later, once, in order.


@pytest.mark.django_db
def test_a_receiver_that_is_down_gets_the_event_later_exactly_once(
    chain, receiver, now, time_machine
):
    # given an endpoint whose receiver is down
    new = webhook_endpoint_create(
        url=receiver.url, events=["order.created"], contractor=chain.contractor
    )
    receiver.stop()
    emit(chain, 41)

    # when the outbox tries, fails, and tries again after the receiver is back
    failed = outbox_send_due()
    receiver.start()
    too_early = outbox_send_due()
    later(time_machine, minutes=2)
    sent = outbox_send_due()
    later(time_machine, hours=1)
    again = outbox_send_due()

    # then it arrived once, on the second try, with the id it had from the start
    assert failed.as_dict() == {"sent": 0, "failed": 1}
    assert too_early.as_dict() == {"sent": 0, "failed": 0}
    assert sent.as_dict() == {"sent": 1, "failed": 0}
    assert again.as_dict() == {"sent": 0, "failed": 0}
    assert receiver.events() == [("order.created", 41)]
    message = OutboxMessage.objects.get()
    assert message.attempts == 2
    assert receiver.received[0]["headers"]["webhook-id"] == message.payload["webhook_id"]
    endpoint = WebhookEndpoint.objects.get(pk=new.endpoint.pk)
    assert (endpoint.is_active, endpoint.failure_count) == (True, 0)


@pytest.mark.django_db
def test_order_is_kept_per_order_and_other_orders_are_not_held_up(
    chain, receiver, now, time_machine
):
    # given the first event of order 7 failed (the receiver answered 503)
    webhook_endpoint_create(url=receiver.url, events=ALL_EVENTS, contractor=chain.contractor)
    receiver.status = 503
    emit(chain, 7, "order.created")
    outbox_send_due()
    receiver.status = 204

    # when order 7 gets a second event and order 8 its first, and the outbox runs
    emit(chain, 7, "appointment.booked")
    emit(chain, 8, "order.created")
    now_run = outbox_send_due()
    later(time_machine, minutes=2)
    later_run = outbox_send_due()

    # then order 8 went at once; order 7's second waited for its first, and came after it
    assert now_run.as_dict() == {"sent": 1, "failed": 0}
    assert later_run.as_dict() == {"sent": 2, "failed": 0}
    assert receiver.events() == [
        ("order.created", 7),  # the 503
        ("order.created", 8),
        ("order.created", 7),
        ("appointment.booked", 7),
    ]


# Switched off, failing, and scope.


@pytest.mark.django_db
def test_a_switched_off_endpoint_gets_nothing(chain, receiver):
    # given an endpoint with an event waiting for it
    new = webhook_endpoint_create(url=receiver.url, events=ALL_EVENTS, contractor=chain.contractor)
    emit(chain, 5)

    # when it is switched off, another event happens, and the outbox runs
    webhook_endpoint_disable(endpoint=new.endpoint, reason="revoked")
    emit(chain, 6)
    result = outbox_send_due()
    resent = webhook_deliveries_resend(messages=list(OutboxMessage.objects.all()))

    # then nothing arrived; the waiting one is cancelled, and none is sent again
    assert result.as_dict() == {"sent": 0, "failed": 0}
    assert receiver.received == []
    message = OutboxMessage.objects.get()
    assert (message.sent_at, message.due_at, message.outcome) == (
        None,
        None,
        "cancelled: endpoint switched off",
    )
    assert resent == 0


@pytest.mark.django_db
def test_an_endpoint_that_keeps_failing_is_switched_off_with_one_mail(
    chain, receiver, now, time_machine, settings, mailoutbox
):
    # given the contractor's endpoint, a planner, and a receiver that answers 500
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    factories.planner_create(chain.contractor, email="planner@aannemer.nl")
    new = webhook_endpoint_create(url=receiver.url, events=ALL_EVENTS, contractor=chain.contractor)
    receiver.status = 500
    for order in (1, 2, 3, 4):
        emit(chain, order)

    # when the outbox tries them, and again later
    outbox_send_due()
    later(time_machine, minutes=5)
    outbox_send_due()
    later(time_machine, minutes=5)
    outbox_send_due()

    # then after three failures it was switched off, the rest cancelled, and one mail went out
    endpoint = WebhookEndpoint.objects.get(pk=new.endpoint.pk)
    assert endpoint.is_active is False
    assert endpoint.disabled_reason.startswith("3 failures in a row")
    assert len(receiver.received) == 3
    assert [m.to for m in mailoutbox] == [["planner@aannemer.nl"]]
    assert "127.0.0.1" in mailoutbox[0].subject
    waiting = OutboxMessage.objects.filter(
        kind="webhook", sent_at__isnull=True, due_at__isnull=False
    )
    assert not waiting.exists()


@pytest.mark.django_db
def test_a_delivery_failing_for_24_hours_is_given_up_and_its_endpoint_switched_off(
    chain, receiver, now, time_machine, mailoutbox, staff_user
):
    # given the association's endpoint, down for good
    new = webhook_endpoint_create(
        url=receiver.url, events=ALL_EVENTS, organisation=chain.organisation
    )
    receiver.stop()
    emit(chain, 9)

    # when the outbox keeps trying for a day and a bit
    tries = 0
    for _ in range(40):
        tries += outbox_send_due().failed
        later(time_machine, hours=1)

    # then it was tried on the backoff curve, the last time 24 hours after, then given up
    message = OutboxMessage.objects.get(kind="webhook")
    assert (message.due_at, message.outcome) == (None, "given up")
    assert 10 <= message.attempts == tries <= 15
    endpoint = WebhookEndpoint.objects.get(pk=new.endpoint.pk)
    assert endpoint.is_active is False
    assert [m.to for m in mailoutbox] == [[staff_user.email]]


@pytest.mark.django_db
def test_another_associations_and_another_contractors_endpoints_get_nothing(
    chain, other_chain, receiver
):
    # given endpoints of the other association and of the other chain's contractor
    webhook_endpoint_create(
        url=receiver.url, events=ALL_EVENTS, organisation=other_chain.organisation
    )
    webhook_endpoint_create(url=receiver.url, events=ALL_EVENTS, contractor=other_chain.contractor)

    # when an order of this chain is created
    repair_request_submit(
        dwelling=chain.dwelling, category=chain.category, description="Lek.", tenancy=chain.tenancy
    )
    outbox_send_due()

    # then neither heard of it
    assert receiver.received == []
    assert not OutboxMessage.objects.filter(kind="webhook").exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    ["http://erp.example.nl/hooks", "ftp://127.0.0.1/x", "https://", "http://10.0.0.1/hooks"],
)
def test_an_endpoint_must_be_https_but_for_this_machine(chain, url):
    with pytest.raises(ValidationError):
        webhook_endpoint_create(url=url, events=["order.created"], contractor=chain.contractor)
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_plain_http_to_this_machine_needs_the_setting(chain, settings):
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = False
    with pytest.raises(ValidationError):
        webhook_endpoint_create(
            url="http://localhost:8000/hooks", events=["order.created"], contractor=chain.contractor
        )
    assert not WebhookEndpoint.objects.exists()


# The admin.


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.django_db
def test_staff_make_an_endpoint_and_see_its_secret_once(staff_client, organisation):
    # when
    response = staff_client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {
            "url": "https://erp.example.nl/hooks",
            "description": "ERP",
            "organisation": organisation.pk,
            "events": ["order.created", "survey.graded"],
        },
    )

    # then the secret is on this page, and on no later one
    endpoint = WebhookEndpoint.objects.get()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert endpoint.secret in response.content.decode()
    assert (endpoint.organisation, endpoint.contractor) == (organisation, None)
    assert endpoint.events == ["order.created", "survey.graded"]
    change = staff_client.get(reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]))
    assert change.status_code == 200
    assert endpoint.secret not in change.content.decode()


@pytest.mark.django_db
def test_staff_cannot_make_an_endpoint_for_a_contractor_or_over_http(
    staff_client, organisation, chain
):
    # when
    over_http = staff_client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {
            "url": "http://erp.example.nl/hooks",
            "organisation": organisation.pk,
            "events": ["order.created"],
        },
    )
    for_contractor = staff_client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {
            "url": "https://erp.example.nl/hooks",
            "contractor": chain.contractor.pk,
            "events": ["order.created"],
        },
    )

    # then
    assert over_http.status_code == 200
    assert over_http.context["adminform"].form.errors["url"]
    assert for_contractor.status_code == 200
    assert not WebhookEndpoint.objects.exists()


@pytest.mark.django_db
def test_the_delivery_log_shows_the_attempts_and_sends_again(
    staff_client, organisation, chain, receiver
):
    # given a delivery of the association's endpoint that went out
    new = webhook_endpoint_create(url=receiver.url, events=ALL_EVENTS, organisation=organisation)
    emit(chain, 3)
    outbox_send_due()
    log = reverse("admin:webhooks_webhookdelivery_changelist")

    # when staff open the log of the endpoint and send the delivery again
    page = staff_client.get(log, {"endpoint": new.endpoint.pk})
    [row] = page.context["cl"].result_list
    action = staff_client.post(
        log, {"action": "send_again", "_selected_action": [row.pk]}, follow=True
    )
    outbox_send_due()

    # then the log showed it delivered, and the receiver got it twice with one webhook-id
    assert "HTTP 204" in page.content.decode()
    assert "delivered" in page.content.decode()
    assert action.status_code == 200
    assert len(receiver.received) == 2
    ids = {r["headers"]["webhook-id"] for r in receiver.received}
    assert len(ids) == 1
    assert WebhookDelivery.objects.count() == 2


@pytest.mark.django_db
def test_a_completed_repair_and_its_grade_are_told_without_personal_data(
    chain, receiver, now, time_machine
):
    # given a contractor endpoint for completions and grades, and a planned visit
    webhook_endpoint_create(
        url=receiver.url,
        events=["request.completed", "survey.graded"],
        contractor=chain.contractor,
    )
    craftsman = factories.craftsman_create(chain.contractor)
    repair_request = repair_request_submit(
        dwelling=chain.dwelling, category=chain.category, description="Lek.", tenancy=chain.tenancy
    )
    slot = chain.slot(days=1)
    visit = appointment_plan(repair_request=repair_request, slot_id=slot.pk, actor=None)

    # when the visit fixes it, and the tenant answers the survey with a grade and a comment
    time_machine.move_to(slot.starts_at + datetime.timedelta(hours=1), tick=True)
    visit_record(appointment=visit, outcome="fixed", actor=craftsman)
    invitation = SurveyInvitation.objects.create(
        organisation=chain.organisation,
        request=repair_request,
        contractor=chain.contractor,
        area=chain.area,
        email="huurder@example.nl",
        status=InvitationStatus.SENT,
        due_at=timezone.now(),
    )
    survey_answer(
        token=invitation.token,
        overall_grade=9,
        fixed_first_time=True,
        on_time=True,
        craftsman_grade=9,
        comment="Jan van Dijk was heel vriendelijk, bel me op 0612345678",
        may_contact=True,
    )
    outbox_send_due()

    # then both arrived; the grade's body holds the order and the grade, nothing else
    assert receiver.events() == [
        ("request.completed", repair_request.pk),
        ("survey.graded", repair_request.pk),
    ]
    completed, graded = (json.loads(r["body"]) for r in receiver.received)
    assert completed["data"]["order_status"] == "TEC"
    assert graded["data"] == {
        "order_id": repair_request.pk,
        "reference": repair_request.reference,
        "grade": 9,
    }
    assert b"0612345678" not in receiver.received[1]["body"]


@pytest.mark.django_db
def test_staff_see_neither_a_contractors_endpoint_nor_its_deliveries(staff_client, chain):
    # given the contractor's endpoint, told of an order of the staff's association
    new = webhook_endpoint_create(
        url="https://planning.aannemer.example/hooks",
        events=ALL_EVENTS,
        contractor=chain.contractor,
    )
    emit(chain, 12)

    # when staff open the endpoints, the log, and the endpoint itself
    endpoints = staff_client.get(reverse("admin:webhooks_webhookendpoint_changelist"))
    log = staff_client.get(reverse("admin:webhooks_webhookdelivery_changelist"))
    page = staff_client.get(
        reverse("admin:webhooks_webhookendpoint_change", args=[new.endpoint.pk])
    )

    # then nothing of it shows, and the endpoint is not found
    assert list(endpoints.context["cl"].result_list) == []
    assert list(log.context["cl"].result_list) == []
    assert "planning.aannemer.example" not in log.content.decode()
    assert page.status_code == 404


def test_two_senders_at_once_keep_each_orders_events_in_order_and_send_each_once(
    postgres_only, transactional_db, chain, receiver, time_machine
):
    # given five events for each of four orders, queued interleaved while the receiver was
    # down (each commit's own send failed the first of each order and held back the rest)
    from django.db import connection

    webhook_endpoint_create(url=receiver.url, events=ALL_EVENTS, contractor=chain.contractor)
    receiver.stop()
    types = ALL_EVENTS[:5]
    for event_type in types:
        for order in (1, 2, 3, 4):
            emit(chain, order, event_type)
    assert OutboxMessage.objects.filter(attempts=1).count() == 4
    receiver.start()
    receiver.delay = 0.05
    later(time_machine, minutes=2)
    barrier = threading.Barrier(2)
    results = [None, None]

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[index] = outbox_send_due()
        finally:
            connection.close()

    # when two senders run at the same moment (and a sweep after them)
    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    swept = outbox_send_due()

    # then every event arrived once, and each order's events in the order they happened
    assert sum(result.sent for result in results) + swept.sent == 20
    assert len(receiver.received) == 20
    for order in (1, 2, 3, 4):
        assert [t for t, o in receiver.events() if o == order] == types
