"""Endpoints made and switched off, events emitted into the outbox, deliveries sent again.

webhook_event_emit runs in the transaction of the change it reports: one outbox row per
active endpoint that wants the event, keyed by event and endpoint, so an event reaches each
endpoint once. The rows of one order and endpoint share an ordering key, so the outbox
sends them in the order they were written (outbox.services._claim)."""

import datetime
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from outbox.models import MessageKind, OutboxMessage
from outbox.services import outbox_add
from portal.models import User
from portal.selectors import staff_emails

from .addresses import webhook_url_check
from .models import EventType, WebhookEndpoint
from .signing import secret_new

HANDLER = "webhooks.deliver"


def webhook_events_check(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EventType.values))
    if unknown or not events:
        raise ValidationError(_("Choose one or more events."), code="events")
    return [event for event in EventType.values if event in events]


@dataclass(frozen=True)
class NewWebhookEndpoint:
    endpoint: WebhookEndpoint
    # The only time the secret is handed out in full: the admin shows it once.
    secret: str


@transaction.atomic
def webhook_endpoint_create(
    *,
    url: str,
    events: list[str],
    contractor=None,
    organisation=None,
    description: str = "",
    created_by: User | None = None,
) -> NewWebhookEndpoint:
    webhook_url_check(url)
    if (contractor is None) == (organisation is None):
        raise ValidationError(_("Choose one: a contractor or a housing association."))
    secret = secret_new()
    endpoint = WebhookEndpoint.objects.create(
        url=url,
        events=webhook_events_check(events),
        contractor=contractor,
        organisation=organisation,
        description=description,
        secret=secret,
        created_by=created_by,
    )
    return NewWebhookEndpoint(endpoint=endpoint, secret=secret)


def _owner_emails(endpoint: WebhookEndpoint) -> list[str]:
    """Who hears that an endpoint was switched off: the association's staff, or the
    contractor's planners (its own address when it has no planner)."""
    if endpoint.organisation_id is not None:
        return staff_emails(organisation_id=endpoint.organisation_id)
    planners = list(
        User.objects.filter(
            contractor_membership__contractor_id=endpoint.contractor_id,
            contractor_membership__role="planner",
            is_active=True,
        )
        .order_by("email")
        .values_list("email", flat=True)
    )
    return planners or [endpoint.contractor.email]


def _disabled_mail(endpoint: WebhookEndpoint, *, reason: str) -> None:
    to = [email for email in _owner_emails(endpoint) if email]
    if not to:
        return
    key = f"webhook-disabled-{endpoint.pk}-{endpoint.disabled_at:%Y%m%d%H%M%S}"
    with translation.override(settings.LANGUAGE_CODE):
        subject = _("Webhook switched off: %(url)s") % {"url": endpoint.url}
        body = _(
            "The portal could not deliver its events to %(url)s (%(reason)s) and has "
            "switched this webhook endpoint off. Events of the meantime are not sent.\n\n"
            "Once the receiver works again, switch the endpoint on in the admin "
            "(Webhook endpoints); a delivery can be sent again from its log there."
        ) % {"url": endpoint.url, "reason": reason}
    outbox_add(
        key=key,
        handler="mail.deliver",
        payload={"key": key, "subject": subject, "body": body, "to": to},
        organisation_id=endpoint.organisation_id,
    )


@transaction.atomic
def webhook_endpoint_disable(
    *, endpoint: WebhookEndpoint, reason: str, notify: bool = False
) -> bool:
    """Switch an endpoint off: it gets nothing more, and its deliveries still waiting end
    unsent (outcome "cancelled", their last error kept). With notify, its owner gets one
    mail. False when it was off already."""
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if not endpoint.is_active:
        return False
    endpoint.is_active = False
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = reason[:200]
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    webhook_deliveries(endpoint).filter(sent_at__isnull=True, due_at__isnull=False).update(
        due_at=None, outcome="cancelled: endpoint switched off"
    )
    if notify:
        _disabled_mail(endpoint, reason=reason)
    return True


@transaction.atomic
def webhook_endpoint_enable(*, endpoint: WebhookEndpoint) -> bool:
    """Switch an endpoint on again, with a clean failure count; False when it was on."""
    updated = WebhookEndpoint.objects.filter(pk=endpoint.pk, is_active=False).update(
        is_active=True, disabled_at=None, disabled_reason="", failure_count=0
    )
    return bool(updated)


def webhook_deliveries(endpoint: WebhookEndpoint | int):
    """The outbox rows of an endpoint: its delivery log."""
    endpoint_id = getattr(endpoint, "pk", endpoint)
    return OutboxMessage.objects.filter(
        kind=MessageKind.WEBHOOK, handler=HANDLER, payload__endpoint_id=endpoint_id
    )


def webhook_event_emit(
    *,
    event_type: str,
    organisation_id: int | None,
    contractor_id: int | None,
    subject_id: int,
    data: dict[str, Any] | Callable[[], dict[str, Any]],
    event_id: str | None = None,
    now: datetime.datetime | None = None,
) -> list[OutboxMessage]:
    """Queue the event for every active endpoint of the association and of the contractor
    that wants it, in the caller's transaction. `subject_id` is the order (request) the event
    is about: its deliveries to one endpoint go out in order. `data` may be a function, called
    only when some endpoint wants the event. `event_id` names the cause (a timeline event),
    so emitting the same cause again queues nothing; without it, a new id."""
    if event_type not in EventType.values:
        raise ValueError(f"unknown webhook event {event_type!r}")
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.active()
        .of_owners(organisation_id=organisation_id, contractor_id=contractor_id)
        .order_by("pk")
        if endpoint.wants(event_type)
    ]
    if not endpoints:
        return []
    payload_data = data() if callable(data) else data
    webhook_id = f"msg_{event_id or uuid.uuid4().hex}"
    body = {
        "type": event_type,
        "timestamp": (now or timezone.now()).isoformat(),
        "data": payload_data,
    }
    queued = []
    for endpoint in endpoints:
        message = outbox_add(
            key=f"webhook-{webhook_id}-{endpoint.pk}",
            handler=HANDLER,
            kind=MessageKind.WEBHOOK,
            payload={"endpoint_id": endpoint.pk, "webhook_id": webhook_id, "body": body},
            # A contractor's deliveries are not an association's business: platform only.
            organisation_id=endpoint.organisation_id,
            ordering_key=f"webhook-{endpoint.pk}-order-{subject_id}",
        )
        if message is not None:
            queued.append(message)
    return queued


@transaction.atomic
def webhook_deliveries_resend(*, messages) -> int:
    """Send these deliveries again: each as a new outbox row with the same webhook-id and
    body (a receiver that keeps the ids it saw can tell), queued now, in order behind what
    still waits for the same order. Those of an endpoint that is switched off are left."""
    active = set(WebhookEndpoint.objects.active().values_list("pk", flat=True))
    queued = 0
    for message in messages:
        if message.kind != MessageKind.WEBHOOK or message.payload.get("endpoint_id") not in active:
            continue
        again = outbox_add(
            key=f"{message.key[:150]}-again-{uuid.uuid4().hex[:12]}",
            handler=HANDLER,
            kind=MessageKind.WEBHOOK,
            payload=message.payload,
            organisation_id=message.organisation_id,
            ordering_key=message.ordering_key,
        )
        queued += again is not None
    return queued
