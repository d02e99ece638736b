"""The outbox handler "webhooks.deliver": one signed POST of one event to one endpoint.

A 2xx answer is delivered; anything else (another status, a timeout, a refused connection)
raises, and the outbox tries again on the webhook curve (outbox.services.RETRY_POLICIES:
1, 2, 4 … minutes, the last try 24 hours after the event). Each failure counts against the
endpoint; one that fails WEBHOOK_DISABLE_AFTER_FAILURES times in a row, or whose delivery
is given up after 24 hours, is switched off, with one mail to its owner. Unless
WEBHOOK_ALLOW_PRIVATE_URLS, a delivery goes to a public address only (webhooks.addresses):
another one is refused, and counts as a failure."""

import json
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db.models import F

from outbox.handlers import outbox_handler
from outbox.models import OutboxMessage

from .addresses import PrivateAddress, PublicOnlyAdapter, private_address_of
from .models import WebhookEndpoint
from .services import webhook_endpoint_disable
from .signing import headers


class DeliveryFailed(Exception):
    pass


def body_bytes(body: dict) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()


@outbox_handler("webhooks.deliver")
def webhook_deliver(*, endpoint_id: int, webhook_id: str, body: dict) -> str:
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id).first()
    if endpoint is None or not endpoint.is_active:
        return "not sent: endpoint switched off"
    content = body_bytes(body)
    with requests.Session() as session:
        if not settings.WEBHOOK_ALLOW_PRIVATE_URLS:
            _public_only(session, endpoint.url)
        try:
            response = session.post(
                endpoint.url,
                data=content,
                headers=headers(
                    secret=endpoint.secret,
                    webhook_id=webhook_id,
                    timestamp=int(time.time()),
                    body=content,
                ),
                timeout=settings.WEBHOOK_TIMEOUT,
                # A redirect is not followed: the signed body goes to the registered URL only.
                allow_redirects=False,
            )
        except PrivateAddress as error:
            raise DeliveryFailed(f"refused: {error}"[:500]) from None
        except requests.RequestException as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}"[:500]) from None
    if not 200 <= response.status_code < 300:
        raise DeliveryFailed(f"HTTP {response.status_code}: {response.text[:200]}")
    if endpoint.failure_count:
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(failure_count=0)
    return f"HTTP {response.status_code}"


def _public_only(session: requests.Session, url: str) -> None:
    """Refuse the delivery when the URL's host resolves to an address that is not public
    now (it may have changed since the endpoint was saved), and let the session connect to
    public addresses only, so a second answer of the resolver cannot send it elsewhere."""
    parts = urlsplit(url)
    private = private_address_of(parts.hostname or "", parts.port)
    if private is not None:
        raise DeliveryFailed(
            f"refused: {parts.hostname} is at {private}, which is not a public address"
        )
    session.mount("http://", PublicOnlyAdapter())
    session.mount("https://", PublicOnlyAdapter())


def webhook_delivery_failed(*, message: OutboxMessage, gave_up: bool) -> None:
    """After a failed attempt, in the transaction that records it: count it against the
    endpoint, and switch the endpoint off when it keeps failing."""
    endpoint_id = message.payload.get("endpoint_id")
    WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).update(
        failure_count=F("failure_count") + 1
    )
    endpoint = WebhookEndpoint.objects.filter(pk=endpoint_id, is_active=True).first()
    if endpoint is None:
        return
    if gave_up:
        reason = f"no delivery for 24 hours; last error {message.last_error[:120]}"
    elif endpoint.failure_count >= settings.WEBHOOK_DISABLE_AFTER_FAILURES:
        reason = (
            f"{endpoint.failure_count} failures in a row; last error {message.last_error[:120]}"
        )
    else:
        return
    webhook_endpoint_disable(endpoint=endpoint, reason=reason, notify=True)


webhook_deliver.outbox_failed = webhook_delivery_failed
