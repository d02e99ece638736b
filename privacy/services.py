"""The tenant's own data (AVG): anonymised when the association's retention has passed, or
earlier on the tenant's request (erasure). Both go through `tenancies_anonymise`.

Anonymising blanks the personal text and deletes photos and the account, but keeps every
row: statuses, dates, first-time fixes, grades and fees read the same rows afterwards, so
the KPIs and fee statements do not change. `Tenancy.anonymised_at` marks a tenancy done, so
no tenancy is ever anonymised twice and the periodic sweep reads only what is left to do.
"""

import datetime
import logging
from dataclasses import asdict, dataclass, fields

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from portal.errors import ApplicationError
from portal.models import Organisation, Tenancy, User
from repairs.lifecycle import OPEN_STATUSES
from repairs.models import Appointment, Photo, RepairEvent, RepairRequest
from surveys.models import SurveyInvitation, SurveyResponse

logger = logging.getLogger(__name__)

# Tenancies anonymised in one transaction by the periodic sweep: short locks, bounded memory
# (each batch reads its photos' file names), and a crash loses at most one batch's work.
RETENTION_BATCH = 200


class ErasureRefused(ApplicationError):
    """Erasure asked while a tenancy or a request is still running; `extra["reasons"]`."""


@dataclass
class AnonymisedCounts:
    """How many rows one run changed: what the log says (never what they held)."""

    tenancies: int = 0
    requests: int = 0
    events: int = 0
    appointments: int = 0
    photos: int = 0
    invitations: int = 0
    responses: int = 0
    accounts_removed: int = 0

    def __iadd__(self, other: "AnonymisedCounts") -> "AnonymisedCounts":
        for field in fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))
        return self

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    def log_line(self) -> str:
        return " ".join(f"{name}={count}" for name, count in self.as_dict().items())


def months_before(day: datetime.date, months: int) -> datetime.date:
    """The same day `months` months earlier; the month's last day when it is shorter
    (29 February minus 12 months is 28 February)."""
    month_index = day.year * 12 + day.month - 1 - months
    year, month = divmod(month_index, 12)
    month += 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return datetime.date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th


def retention_cutoff(*, organisation: Organisation, today: datetime.date) -> datetime.date:
    """Tenancies that ended before this day are past the association's retention."""
    return months_before(today, organisation.retention_months)


def _photo_files_delete(names: list[str]) -> None:
    storage = Photo._meta.get_field("image").storage
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            # The row is gone; a file that cannot be removed now is logged by count only.
            logger.warning("privacy: a photo file could not be deleted")


@transaction.atomic
def tenancies_anonymise(*, tenancy_ids: list[int], now: datetime.datetime) -> AnonymisedCounts:
    """Anonymise these tenancies and everything personal hanging off them; tenancies already
    anonymised are skipped. Accounts left without any tenancy are deleted.

    Deleted, not deactivated: no foreign key to the user protects it (every one is
    SET_NULL or CASCADE to the user's own rows), so nothing is left to keep it for."""
    counts = AnonymisedCounts()
    tenancies = list(
        Tenancy.objects.select_for_update()
        .filter(pk__in=tenancy_ids, anonymised_at__isnull=True)
        .order_by("pk")
        .values_list("pk", "tenant_id")
    )
    if not tenancies:
        return counts
    ids = [pk for pk, _tenant in tenancies]
    tenant_ids = {tenant for _pk, tenant in tenancies if tenant is not None}

    requests = RepairRequest.objects.filter(tenancy_id__in=ids)
    counts.requests = requests.update(
        description="", access_notes="", contact_phone="", caller_name="", cancel_reason=""
    )
    # The notes of the timeline hold reasons typed by tenants and staff; the details (data)
    # hold codes, the contractor, the area and times only, which the statistics read.
    counts.events = (
        RepairEvent.objects.filter(request__tenancy_id__in=ids).exclude(note="").update(note="")
    )
    counts.appointments = (
        Appointment.objects.filter(request__tenancy_id__in=ids)
        .exclude(outcome_notes="")
        .update(outcome_notes="")
    )
    photos = Photo.objects.filter(request__tenancy_id__in=ids)
    names = [name for name in photos.values_list("image", flat=True) if name]
    counts.photos, _deleted = photos.delete()
    if names:
        # Files go only once the rows are gone for good: a rolled-back run keeps them.
        transaction.on_commit(lambda: _photo_files_delete(names))
    counts.invitations = SurveyInvitation.objects.filter(request__tenancy_id__in=ids).update(
        email=""
    )
    counts.responses = SurveyResponse.objects.filter(
        invitation__request__tenancy_id__in=ids
    ).update(comment="", may_contact=False)
    counts.tenancies = Tenancy.objects.filter(pk__in=ids).update(
        email="", claimed_from_ip=None, tenant=None, anonymised_at=now
    )
    if tenant_ids:
        # Accounts of tenants only: one with another tenancy, or a staff or contractor role,
        # keeps its account (only the ended tenancy's data goes).
        orphans = User.objects.filter(
            pk__in=tenant_ids, is_staff=False, is_superuser=False, staff_memberships=None
        ).filter(
            ~Exists(Tenancy.objects.filter(tenant=OuterRef("pk"))),
            contractor_membership__isnull=True,
        )
        counts.accounts_removed = orphans.count()
        if counts.accounts_removed:
            User.objects.filter(pk__in=list(orphans.values_list("pk", flat=True))).delete()
    return counts


def tenancies_past_retention(*, organisation: Organisation, today: datetime.date):
    """Ended tenancies of the association past its retention, not yet anonymised
    (the index tenancy_to_anonymise serves this, oldest end first)."""
    return Tenancy.objects.filter(
        organisation=organisation,
        anonymised_at__isnull=True,
        end_date__lt=retention_cutoff(organisation=organisation, today=today),
    ).order_by("end_date", "pk")


def retention_sweep(
    *, now: datetime.datetime | None = None, batch_size: int = RETENTION_BATCH
) -> AnonymisedCounts:
    """Anonymise every tenancy past its association's retention, a batch per transaction
    (tenancies_anonymise), so a million requests never sit in one transaction. A second
    run finds nothing left. Logs counts only."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    total = AnonymisedCounts()
    for organisation in Organisation.objects.only("pk", "retention_months").order_by("pk"):
        due = tenancies_past_retention(organisation=organisation, today=today)
        while ids := list(due.values_list("pk", flat=True)[:batch_size]):
            total += tenancies_anonymise(tenancy_ids=ids, now=now)
    logger.info("privacy retention: %s", total.log_line())
    return total


def erasure_tenancies(*, tenancy: Tenancy):
    """The tenancies an erasure asked about this one covers: the tenant's tenancies at the
    same association (or this one alone when no account claimed it)."""
    condition = Q(pk=tenancy.pk)
    if tenancy.tenant_id is not None:
        condition |= Q(tenant_id=tenancy.tenant_id)
    return Tenancy.objects.filter(condition, organisation_id=tenancy.organisation_id)


def erasure_refusals(*, tenancy: Tenancy, today: datetime.date) -> list[str]:
    """Why the tenant's data may not be erased yet, in the reader's language; empty if it may.

    Two queries, however many tenancies and requests the tenant has."""
    reasons = []
    tenancies = list(
        erasure_tenancies(tenancy=tenancy)
        .filter(anonymised_at__isnull=True)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .order_by("pk")
        .only("contract_number", "end_date")
    )
    for running in tenancies:
        if running.end_date is None:
            reasons.append(
                _("Tenancy %(contract)s has not ended.") % {"contract": running.contract_number}
            )
        else:
            reasons.append(
                _("Tenancy %(contract)s runs until %(date)s.")
                % {
                    "contract": running.contract_number,
                    "date": formats.date_format(running.end_date),
                }
            )
    open_requests = list(
        RepairRequest.objects.filter(
            tenancy__in=erasure_tenancies(tenancy=tenancy), status__in=sorted(OPEN_STATUSES)
        )
        .order_by("pk")
        .values_list("reference", flat=True)
    )
    for reference in open_requests:
        reasons.append(
            _("Repair request %(reference)s is still open: finish or cancel it first.")
            % {"reference": reference}
        )
    return reasons


@transaction.atomic
def tenant_erase(*, tenancy: Tenancy, actor: User, now: datetime.datetime) -> AnonymisedCounts:
    """Erase a former tenant's data at their request, before the retention has passed:
    the same anonymising as retention. Refused while a tenancy runs or a request is open."""
    # Locks the tenancy first, so a request reported meanwhile waits for this to finish.
    Tenancy.objects.select_for_update().filter(pk=tenancy.pk).exists()
    reasons = erasure_refusals(tenancy=tenancy, today=timezone.localdate(now))
    if reasons:
        raise ErasureRefused(_("This data cannot be erased yet."), extra={"reasons": reasons})
    ids = list(
        erasure_tenancies(tenancy=tenancy)
        .filter(anonymised_at__isnull=True)
        .values_list("pk", flat=True)
    )
    counts = tenancies_anonymise(tenancy_ids=ids, now=now)
    logger.info("privacy erasure by user %s: %s", actor.pk, counts.log_line())
    return counts
