"""Writes of the base app: tenants claiming their account, staff memberships."""

import datetime

from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .errors import ApplicationError
from .models import (
    Dwelling,
    DwellingTypePeriod,
    ImportJob,
    ImportStatus,
    Organisation,
    StaffMembership,
    Tenancy,
    User,
)
from .roles import staff_group_sync
from .signals import dwellings_changed

CLAIM_SALT = "portal.tenancy-claim"
CLAIM_MAX_AGE = datetime.timedelta(days=3)


class ClaimNotPossible(ApplicationError):
    pass


def tenancy_find_claimable(
    *, contract_number: str, postcode: str, house_number: int, suffix: str
) -> Tenancy | None:
    """A current tenancy matching all four details; None for any mismatch, whichever part."""
    today = timezone.localdate()
    return (
        Tenancy.objects.filter(
            contract_number__iexact=contract_number.strip(),
            dwelling__postcode=postcode,
            dwelling__house_number=house_number,
            dwelling__house_number_suffix__iexact=suffix.strip(),
            start_date__lte=today,
        )
        .exclude(end_date__lt=today)
        .select_related("dwelling", "organisation")
        .first()
    )


def _claim_token(*, tenancy: Tenancy, email: str) -> str:
    return signing.dumps({"tenancy": tenancy.pk, "email": email}, salt=CLAIM_SALT)


def tenancy_claim_read_token(token: str) -> tuple[Tenancy, str]:
    """The tenancy and e-mail address a confirmation link was sent for."""
    try:
        data = signing.loads(token, salt=CLAIM_SALT, max_age=CLAIM_MAX_AGE)
        tenancy = Tenancy.objects.select_related("dwelling", "organisation").get(pk=data["tenancy"])
    except (signing.BadSignature, KeyError, TypeError, Tenancy.DoesNotExist) as error:
        raise ClaimNotPossible(
            _("This link is no longer valid. Links work for 3 days; request a new one.")
        ) from error
    return tenancy, data["email"]


def tenancy_claim_start(*, tenancy: Tenancy, email: str, build_url) -> None:
    """Mail a confirmation link to the address given; the account is made when it is opened."""
    email = User.objects.normalize_email(email).lower()
    link = build_url(reverse("claim_confirm", args=[_claim_token(tenancy=tenancy, email=email)]))
    context = {"tenancy": tenancy, "organisation": tenancy.organisation, "link": link}
    language = translation.get_language()

    def send() -> None:
        with translation.override(language):
            send_mail(
                subject=_("Confirm your e-mail address for %(organisation)s")
                % {"organisation": tenancy.organisation.name},
                message=render_to_string("portal/mail/claim_confirm.txt", context),
                from_email=tenancy.organisation.mail_from or None,
                recipient_list=[email],
            )

    transaction.on_commit(send)


@transaction.atomic
def tenancy_claim_complete(*, token: str, password: str, existing_user: User | None = None) -> User:
    """Link the tenancy to the account of the confirmed address, creating it if needed."""
    tenancy, email = tenancy_claim_read_token(token)
    tenancy = Tenancy.objects.select_for_update().get(pk=tenancy.pk)
    user = existing_user or User.objects.filter(email__iexact=email).first()
    if tenancy.tenant_id is not None and (user is None or tenancy.tenant_id != user.pk):
        raise ClaimNotPossible(
            _("This tenancy already has an account. Log in, or reset its password.")
        )
    if user is None:
        validate_password(password, User(email=email))
        user = User.objects.create_user(email=email, password=password)
    elif existing_user is None and not user.check_password(password):
        raise ClaimNotPossible(
            _("This is not the password of the account of %(email)s.") % {"email": email}
        )
    if tenancy.tenant_id is None:
        tenancy.tenant = user
        tenancy.claimed_at = timezone.now()
        tenancy.save(update_fields=["tenant", "claimed_at"])
    return user


@transaction.atomic
def staff_membership_grant(*, user: User, organisation: Organisation) -> StaffMembership:
    """Make a user one of an association's staff, with the staff group's permissions."""
    membership, _created = StaffMembership.objects.get_or_create(
        user=user, organisation=organisation
    )
    if not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.groups.add(staff_group_sync())
    return membership


@transaction.atomic
def dwelling_type_change(*, dwelling, dwelling_type: str, on_date: datetime.date):
    """Change a dwelling's type from a date on, keeping the old type for the days before."""
    dwelling = Dwelling.objects.select_for_update().get(pk=dwelling.pk)
    if dwelling.dwelling_type == dwelling_type:
        return dwelling
    if on_date <= dwelling.in_portfolio_from:
        raise ApplicationError(_("A change of type lies after the day the dwelling came in."))
    periods = DwellingTypePeriod.objects.filter(dwelling=dwelling)
    if not periods.exists():
        DwellingTypePeriod.objects.create(
            organisation_id=dwelling.organisation_id,
            dwelling=dwelling,
            dwelling_type=dwelling.dwelling_type,
            valid_from=dwelling.in_portfolio_from,
            valid_until=on_date - datetime.timedelta(days=1),
        )
    else:
        if periods.filter(valid_from__gte=on_date).exists():
            raise ApplicationError(_("The type already changed on or after this date."))
        periods.filter(valid_until__isnull=True).update(
            valid_until=on_date - datetime.timedelta(days=1)
        )
    DwellingTypePeriod.objects.create(
        organisation_id=dwelling.organisation_id,
        dwelling=dwelling,
        dwelling_type=dwelling_type,
        valid_from=on_date,
    )
    dwelling.dwelling_type = dwelling_type
    dwelling.save(update_fields=["dwelling_type"])
    return dwelling


# Rows per bulk upsert: one statement per chunk on PostgreSQL and SQLite alike (SQLite takes
# 32,766 parameters per statement; a dwelling row has 11), and the unit of progress.
IMPORT_CHUNK = 2000
# Up to this many new or readdressed dwellings, the signal names them; above it, the
# association's stored areas are refreshed as a whole, in one statement.
DWELLING_IDS_IN_SIGNAL = 2000


@transaction.atomic
def import_job_start(*, organisation, kind: str, upload, actor) -> "ImportJob":
    from . import tasks

    job = ImportJob.objects.create(
        organisation=organisation, kind=kind, file=upload, created_by=actor
    )
    # The job row is the record: if the broker is down, import_jobs_requeue starts it later.
    from outbox.services import enqueue_on_commit

    enqueue_on_commit(tasks.import_job_run, job.pk)
    return job


def _chunks(rows, size: int):
    """The checked rows in slices, each with the number of rows before it."""
    for start in range(0, len(rows), size):
        yield start, rows[start : start + size]


def import_job_run(*, job_id: int) -> str:
    """Check every row first, in Python and without a query per row (nothing written), then
    write the new and changed rows by bulk upsert in chunks, all in one transaction: a file
    is written whole or not at all, also when the database refuses a row the check could not
    foresee (an address taken meanwhile) or the worker stops half-way. Progress is saved after
    each chunk; the page sees it when the rows are committed, and says "Writing" until then.
    Safe to run twice: only a queued job is started."""
    from .imports import RESOURCES, dataset_from_file

    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update()
            .filter(pk=job_id, status=ImportStatus.QUEUED)
            .first()
        )
        if job is None:
            return "not queued"
        job.status = ImportStatus.CHECKING
        job.save(update_fields=["status"])
    try:
        dataset = dataset_from_file(job.file)
        ImportJob.objects.filter(pk=job.pk).update(total_rows=len(dataset))
        resource = RESOURCES[job.kind](organisation=job.organisation)
        checked = resource.check_file(dataset)
        del dataset
        if checked.errors:
            ImportJob.objects.filter(pk=job.pk).update(
                status=ImportStatus.REFUSED,
                errors=checked.errors[:1000],
                finished_at=timezone.now(),
            )
            return "refused"
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.WRITING)
        import_job_write(job=job, resource=resource, checked=checked)
        return "done"
    except Exception as error:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            errors=[{"row": 0, "errors": {"": [str(error)]}}],
            finished_at=timezone.now(),
        )
        raise


@transaction.atomic
def import_job_write(*, job: ImportJob, resource, checked) -> None:
    """Write a checked file: per chunk one bulk upsert of its new and changed rows (matched on
    the association and the reference, so a row added meanwhile is updated, not doubled) and
    the progress; then tell other apps which dwellings are new or moved, and mark the job done,
    all in this one transaction."""
    from .bulk import RowsUpsert

    model = resource._meta.model
    upsert = RowsUpsert(
        model,
        unique_fields=resource.upsert_unique_fields,
        update_fields=resource.upsert_update_fields,
    )
    totals = {"new": 0, "update": 0, "skip": 0}
    new_references: list[str] = []
    for start, chunk in _chunks(checked.rows, IMPORT_CHUNK):
        upsert.write([row.instance for row in chunk if row.instance is not None])
        for row in chunk:
            totals[row.kind] += 1
        if model is Dwelling:
            new_references.extend(row.instance.reference for row in chunk if row.kind == "new")
        ImportJob.objects.filter(pk=job.pk).update(
            processed_rows=start + len(chunk),
            new_rows=totals["new"],
            updated_rows=totals["update"],
            skipped_rows=totals["skip"],
        )
    changed = len(new_references) + len(checked.readdressed_ids)
    if changed:
        dwelling_ids = None  # many: the association's areas are refreshed in one statement
        if changed <= DWELLING_IDS_IN_SIGNAL:
            dwelling_ids = [
                *Dwelling.objects.filter(
                    organisation_id=job.organisation_id, reference__in=new_references
                ).values_list("pk", flat=True),
                *checked.readdressed_ids,
            ]
        dwellings_changed.send(
            sender=Dwelling, organisation_id=job.organisation_id, dwelling_ids=dwelling_ids
        )
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.DONE, finished_at=timezone.now())


@transaction.atomic
def dwellings_mark_out_of_portfolio(
    *, organisation_id: int, references: list[str], until: datetime.date
) -> int:
    """Dwellings missing from the ERP's latest file leave the portfolio; none are deleted."""
    marked = 0
    # In chunks: the list may be longer than the parameters a database takes in one query.
    for start in range(0, len(references), 1000):
        marked += (
            Dwelling.objects.filter(
                organisation_id=organisation_id,
                reference__in=references[start : start + 1000],
                in_portfolio_until__isnull=True,
            )
            .filter(in_portfolio_from__lte=until)
            .update(in_portfolio_until=until)
        )
    return marked
