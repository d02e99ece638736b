"""Writes of the machine interface: making and revoking API clients, the idempotency keys
of POSTs, and the few OHD writes that map onto repairs' services (an order's status, a
visit's outcome, a phone report from an association's ERP). Booking and recording are
repairs' own services; nothing here books a slot or records a visit itself."""

import datetime
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, get_application_model

from contractors.models import Contractor
from portal.errors import ApplicationError, TransitionNotAllowed
from portal.models import Dwelling, Organisation, User
from repairs.lifecycle import Status
from repairs.models import (
    Appointment,
    AppointmentStatus,
    Channel,
    EventKind,
    RepairCategory,
    RepairRequest,
    Responsibility,
    VisitOutcome,
)
from repairs.services import (
    FOLLOW_UP_REASONS,
    NO_ACCESS_REASON,
    NotReportable,
    VisitNotRecordable,
    contractor_notification_queue,
    repair_event_record,
    repair_request_confirm_emergency,
    repair_request_lock,
    repair_request_submit,
    visit_record,
)

from .models import ApiClient, IdempotencyKey
from .scopes import SCOPES


@dataclass(frozen=True)
class NewApiClient:
    """A client just made, with the one copy of its secret in plain text: only its hash is
    stored, so this is the only time anyone sees it."""

    api_client: ApiClient
    client_id: str
    client_secret: str


@transaction.atomic
def api_client_create(
    *,
    name: str,
    scopes: list[str],
    contractor: Contractor | None = None,
    organisation: Organisation | None = None,
    created_by: User | None = None,
) -> NewApiClient:
    """A confidential OAuth2 client for the client-credentials flow, owned by one contractor
    or one association; its secret is stored hashed (django-oauth-toolkit hashes it on save)."""
    if (contractor is None) == (organisation is None):
        raise ValidationError(
            _("An API client belongs to one contractor or to one housing association.")
        )
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValidationError(_("Choose one or more of the scopes offered."))
    Application = get_application_model()
    secret = generate_client_secret()
    application = Application(
        name=name[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        hash_client_secret=True,
        client_secret=secret,
    )
    application.save()
    api_client = ApiClient.objects.create(
        application=application,
        name=name,
        contractor=contractor,
        organisation=organisation,
        scopes=" ".join(scope for scope in SCOPES if scope in set(scopes)),
        created_by=created_by,
    )
    return NewApiClient(
        api_client=api_client, client_id=application.client_id, client_secret=secret
    )


@transaction.atomic
def api_client_revoke(*, api_client: ApiClient, revoked_by: User | None = None) -> ApiClient:
    """Switch the client off: it gets no new token, and the tokens it holds are deleted (the
    token check refuses an inactive client's tokens as well). Revoking twice changes
    nothing."""
    api_client = ApiClient.objects.select_for_update().get(pk=api_client.pk)
    if api_client.is_active:
        api_client.is_active = False
        api_client.revoked_at = timezone.now()
        api_client.revoked_by = revoked_by
        api_client.save(update_fields=["is_active", "revoked_at", "revoked_by"])
    AccessToken.objects.filter(application_id=api_client.application_id).delete()
    return api_client


# -- idempotency keys ----------------------------------------------------------------------

# A key is answered from its first result for this long; the periodic prune deletes older ones.
IDEMPOTENCY_KEY_KEPT = datetime.timedelta(hours=24)


class IdempotencyKeyReused(ApplicationError):
    pass


def idempotency_key_store(
    *,
    api_client: ApiClient,
    key: str,
    fingerprint: str,
    status_code: int,
    body,
    location: str = "",
) -> IdempotencyKey:
    """Keep the first answer to a key; called inside the transaction of the write it answers,
    so a key is stored exactly when the write is. A second writer of the same key meets the
    unique constraint (IntegrityError), and its write is rolled back with it."""
    return IdempotencyKey.objects.create(
        api_client=api_client,
        key=key,
        fingerprint=fingerprint,
        status_code=status_code,
        body=body,
        location=location,
    )


def idempotency_keys_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete keys older than IDEMPOTENCY_KEY_KEPT (by the index on created_at)."""
    now = now or timezone.now()
    deleted, _by_model = IdempotencyKey.objects.filter(
        created_at__lt=now - IDEMPOTENCY_KEY_KEPT
    ).delete()
    return deleted


# -- onderhoudsorders: status and visit outcome ----------------------------------------------

# The order statuses a contractor's system reports (VERA ONDERHOUDSORDERSTATUS), and the task
# detail codes (ONDERHOUDSTAAKDETAILSTATUS) of a visit that did not finish the work.
ACCEPTED, PLANNED, IN_PROGRESS, TECHNICALLY_DONE = "GUN", "PLN", "INB", "TEC"
ORDER_STATUS_CODES = (ACCEPTED, PLANNED, IN_PROGRESS, TECHNICALLY_DONE)
TASK_DETAIL_CODES = (*FOLLOW_UP_REASONS, NO_ACCESS_REASON)

# Where an order may still be accepted or worked on: an open order of the contractor.
ORDER_WORKABLE = (Status.ROUTED, Status.SCHEDULED, Status.FOLLOW_UP)


def client_label(api_client: ApiClient) -> str:
    """How an event names the API client that caused it (it is no user)."""
    return f"api_client:{api_client.pk}"


def _planned_visit(order: RepairRequest, appointment_id: str = "") -> Appointment:
    visit = Appointment.objects.filter(request=order, status=AppointmentStatus.PLANNED).first()
    if visit is None or (appointment_id and str(visit.pk) != str(appointment_id)):
        raise VisitNotRecordable(_("This order has no planned visit to record."))
    return visit


def _order_note(*, order: RepairRequest, api_client: ApiClient, code: str, note: str) -> None:
    repair_event_record(
        repair_request=order,
        kind=EventKind.NOTE,
        note=note,
        data={"vera_order": code, "via": client_label(api_client)},
    )


@transaction.atomic
def order_status_update(
    *,
    api_client: ApiClient,
    order: RepairRequest,
    status_code: str = "",
    detail_code: str = "",
    notes: str = "",
    appointment_id: str = "",
) -> RepairRequest:
    """The contractor's system reports on its order, in VERA codes, mapped onto the lifecycle
    (repairs.lifecycle) through repairs' services:

    - a task detail code (MAT, DIS, INS, OFF, ONV: another visit is needed; AFW: nobody was
      home) records the planned visit's outcome (visit_record): the order goes to follow-up;
    - TEC (technically done) records the planned visit as fixed (visit_record): the request
      is completed, first-time fix included;
    - GUN (accepted): the order is routed already; an emergency is confirmed (staff are no
      longer alerted), otherwise the acceptance is an event on the request;
    - INB (in progress): the lifecycle has no status for it; it is an event on the request,
      the status stays;
    - PLN (planned): an order is planned by booking a visit (afspraken); an order with a
      planned visit answers as it is, one without is refused.
    """
    via = client_label(api_client)
    if detail_code:
        outcome = (
            VisitOutcome.NO_ACCESS if detail_code == NO_ACCESS_REASON else VisitOutcome.FOLLOW_UP
        )
        visit_record(
            appointment=_planned_visit(order, appointment_id),
            outcome=outcome,
            actor=None,
            reason=detail_code,
            notes=notes,
            via=via,
        )
        return order
    if status_code == TECHNICALLY_DONE:
        visit_record(
            appointment=_planned_visit(order, appointment_id),
            outcome=VisitOutcome.FIXED,
            actor=None,
            notes=notes,
            via=via,
        )
        return order
    order = repair_request_lock(order)
    if order.status not in ORDER_WORKABLE:
        raise TransitionNotAllowed(
            _("This order is “%(current)s” and can no longer change.")
            % {"current": Status(order.status).label},
            extra={"current": order.status},
        )
    if status_code == PLANNED:
        if order.status != Status.SCHEDULED:
            raise TransitionNotAllowed(
                _("An order is planned by booking an appointment (POST afspraken).")
            )
        return order
    if status_code == ACCEPTED:
        if order.is_urgent and order.contractor_confirmed_at is None:
            repair_request_confirm_emergency(repair_request=order, actor=None)
        else:
            _order_note(
                order=order,
                api_client=api_client,
                code=ACCEPTED,
                note=_("Order accepted by the contractor."),
            )
        return order
    if status_code == IN_PROGRESS:
        _order_note(
            order=order,
            api_client=api_client,
            code=IN_PROGRESS,
            note=_("The contractor reports the work is in progress."),
        )
        return order
    raise ValidationError({"status": [_("Give one of GUN, PLN, INB or TEC.")]})


# -- onderhoudsverzoeken: a phone report from the association's ERP --------------------------


@transaction.atomic
def request_report_by_phone(
    *,
    api_client: ApiClient,
    dwelling: Dwelling,
    category: RepairCategory,
    description: str,
    tenancy=None,
    contact_phone: str = "",
    access_notes: str = "",
) -> RepairRequest:
    """A tenant's report the association took by phone and its ERP passes on: saved with
    channel TEL under the dwelling's current tenancy and routed like any other report
    (repairs.services.repair_request_submit); an emergency tells the contractor at once, as
    a tenant's report does. Without a visit booked, the periodic planning plans it."""
    if dwelling.organisation_id != api_client.organisation_id:
        raise NotReportable(_("No dwelling of this association."))
    if category.organisation_id != dwelling.organisation_id or not category.is_active:
        raise NotReportable(_("Choose what is broken from the list."))
    if category.responsibility == Responsibility.TENANT:
        raise NotReportable(_("This is a repair the tenant carries out; see the advice."))
    repair_request = repair_request_submit(
        dwelling=dwelling,
        category=category,
        description=description,
        tenancy=tenancy,
        channel=Channel.PHONE,
        access_notes=access_notes,
        contact_phone=contact_phone,
    )
    if repair_request.status == Status.ROUTED and category.is_emergency:
        contractor_notification_queue(
            repair_request=repair_request,
            kind="emergency",
            key=f"contractor-emergency-{repair_request.pk}",
        )
    return repair_request
