"""Webhooks go to public addresses only: an endpoint at a private, loopback or link-local
address (the cloud's metadata service, a database in the same network) is refused when it is
saved, and a delivery whose address turns out not to be public when it is sent is refused
then, as a failed attempt. WEBHOOK_ALLOW_PRIVATE_URLS (on in the other webhook tests, whose
receivers listen on 127.0.0.1) switches the check off."""

import socket

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from outbox.models import OutboxMessage
from outbox.services import outbox_send_due
from webhooks.models import WebhookEndpoint
from webhooks.services import webhook_endpoint_create, webhook_event_emit
from webhooks.signing import secret_new

from .test_webhooks import Receiver

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.215.14"


@pytest.fixture(autouse=True)
def public_only(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    settings.WEBHOOK_ALLOW_HTTP_LOOPBACK = True
    settings.WEBHOOK_TIMEOUT = 2


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.stop()


@pytest.fixture
def resolver(monkeypatch):
    """A resolver of our own for names under .example.test: name -> the addresses it gives,
    one list per lookup in turn (the last one repeats); a name it does not know does not
    resolve. Other names resolve as ever."""
    answers: dict[str, list[list[str]]] = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if not str(host).endswith(".example.test"):
            return real(host, port, *args, **kwargs)
        if host not in answers:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        turns = answers[host]
        addresses = turns.pop(0) if len(turns) > 1 else turns[0]
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port or 443))
            for address in addresses
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def create(chain, url: str):
    return webhook_endpoint_create(url=url, events=["order.created"], contractor=chain.contractor)


@pytest.mark.parametrize(
    ("url", "address"),
    [
        ("https://10.1.2.3/hooks", "10.1.2.3"),
        ("https://192.168.1.20:8443/hooks", "192.168.1.20"),
        ("https://172.16.0.9/hooks", "172.16.0.9"),
        ("https://169.254.169.254/latest/meta-data/", "169.254.169.254"),  # cloud metadata
        ("https://100.64.0.1/hooks", "100.64.0.1"),  # shared (carrier-grade NAT)
        ("https://0.0.0.0/hooks", "0.0.0.0"),  # noqa: S104 - the address under test
        ("https://[::1]/hooks", "::1"),
        ("https://[fd00::5]/hooks", "fd00::5"),
        ("https://[::ffff:127.0.0.1]/hooks", "::ffff:127.0.0.1"),
        ("https://localhost/hooks", "localhost"),
        ("http://127.0.0.1:8000/hooks", "127.0.0.1"),
    ],
)
def test_an_endpoint_at_an_address_that_is_not_public_is_refused(chain, url, address):
    with translation.override("nl"), pytest.raises(ValidationError) as refused:
        create(chain, url)
    assert refused.value.code == "private"
    assert refused.value.messages == [
        "Een webhook-URL moet naar een openbaar adres op internet wijzen, niet naar "
        f"{address} (een privé-, loopback- of link-local-adres)."
    ]
    assert not WebhookEndpoint.objects.exists()


def test_a_name_is_judged_by_every_address_it_resolves_to(chain, resolver):
    # given a name with a public and a private address, one with public ones only, and one
    # that does not resolve (yet)
    resolver["mixed.example.test"] = [[PUBLIC, "10.0.0.7"]]
    resolver["erp.example.test"] = [[PUBLIC]]

    # when endpoints are made for them
    with pytest.raises(ValidationError) as refused:
        create(chain, "https://mixed.example.test/hooks")
    public = create(chain, "https://erp.example.test/hooks")
    unknown = create(chain, "https://not-yet.example.test/hooks")

    # then the first is refused; the others are saved (the last is checked when it is sent)
    assert refused.value.code == "private"
    assert "10.0.0.7" in refused.value.messages[0]
    assert (
        WebhookEndpoint.objects.filter(pk__in=[public.endpoint.pk, unknown.endpoint.pk]).count()
        == 2
    )


def test_the_setting_lets_a_receiver_on_this_machine_in(chain, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    assert create(chain, "http://127.0.0.1:8000/hooks").endpoint.pk
    assert create(chain, "https://10.1.2.3/hooks").endpoint.pk


def test_staff_see_why_a_private_address_is_refused(client, staff_user, organisation, resolver):
    # when staff save an endpoint at the network's own address, and change one to it
    resolver["erp.example.test"] = [[PUBLIC]]
    client.force_login(staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    added = client.post(
        reverse("admin:webhooks_webhookendpoint_add"),
        {
            "url": "https://10.20.30.40/hooks",
            "organisation": organisation.pk,
            "events": ["order.created"],
        },
    )
    endpoint = webhook_endpoint_create(
        url="https://erp.example.test/hooks",
        events=["order.created"],
        organisation=organisation,
    ).endpoint
    changed = client.post(
        reverse("admin:webhooks_webhookendpoint_change", args=[endpoint.pk]),
        {"url": "https://169.254.169.254/", "description": "", "events": ["order.created"]},
    )

    # then both pages say why, at the URL, and nothing was saved
    for response, address in ((added, "10.20.30.40"), (changed, "169.254.169.254")):
        assert response.status_code == 200
        assert response.context["adminform"].form.errors["url"] == [
            "A webhook URL must point at a public address on the internet, not at "
            f"{address} (a private, loopback or link-local address)."
        ]
    assert list(WebhookEndpoint.objects.values_list("url", flat=True)) == [
        "https://erp.example.test/hooks"
    ]


def emit(chain) -> None:
    webhook_event_emit(
        event_type="order.created",
        organisation_id=chain.organisation.pk,
        contractor_id=chain.contractor.pk,
        subject_id=1,
        data={"order_id": 1},
    )


def test_a_delivery_to_an_address_that_is_not_public_is_refused_when_sent(
    chain, receiver, settings
):
    # given an endpoint made while private addresses were allowed, and that is no longer so
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    create(chain, receiver.url)
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    # when an event is sent
    emit(chain)
    result = outbox_send_due()

    # then nothing reached the receiver, and the attempt failed with the reason
    assert result.as_dict() == {"sent": 0, "failed": 1}
    assert receiver.received == []
    message = OutboxMessage.objects.get(kind="webhook")
    assert message.last_error == (
        "DeliveryFailed: refused: 127.0.0.1 is at 127.0.0.1, which is not a public address"
    )
    assert WebhookEndpoint.objects.get().failure_count == 1


def test_a_name_that_turns_private_after_the_check_is_not_connected_to(chain, receiver, resolver):
    # given an endpoint at a name that resolves to a public address when it is checked, and
    # to this machine (where the receiver listens) when the connection is made
    resolver["rebind.example.test"] = [[PUBLIC], ["127.0.0.1"]]
    WebhookEndpoint.objects.create(
        url=f"http://rebind.example.test:{receiver.port}/hooks",
        events=["order.created"],
        contractor=chain.contractor,
        secret=secret_new(),
    )

    # when an event is sent
    emit(chain)
    result = outbox_send_due()

    # then the connection to the private address was dropped before anything was sent
    assert result.as_dict() == {"sent": 0, "failed": 1}
    assert receiver.received == []
    message = OutboxMessage.objects.get(kind="webhook")
    assert message.last_error == (
        "DeliveryFailed: refused: rebind.example.test is at 127.0.0.1, which is not a public "
        "address"
    )
