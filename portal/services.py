"""Writes of the base app: tenants claiming their account, staff memberships."""

import dataclasses
import datetime

from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.password_validation import validate_password
from django.core import signing
from django.db import transaction
from django.db.models import Count, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, get_random_string, salted_hmac
from django.utils.translation import gettext as _

from outbox.services import enqueue_on_commit, outbox_add

from .bulk import RowsUpsert
from .errors import ApplicationError
from .imports import RESOURCES, dataset_from_file
from .mail import mail_deliver
from .models import (
    ActivationCode,
    ClaimAttempt,
    Dwelling,
    DwellingTypePeriod,
    ImportJob,
    ImportStatus,
    Neighbourhood,
    Organisation,
    StaffMembership,
    Tenancy,
    User,
)
from .roles import staff_group_sync
from .signals import dwellings_changed

# Version 2: links carry the proof they were sent on; links of the first version (sent to any
# address typed) no longer work.
CLAIM_SALT = "portal.tenancy-claim.v2"
CLAIM_MAX_AGE = datetime.timedelta(days=3)
# Wrong tries (details, code or proof that do not match) per client address and per tenancy
# within CLAIM_THROTTLE_WINDOW; past that, every try gets the neutral answer.
CLAIM_WRONG_TRIES = 5
CLAIM_THROTTLE_WINDOW = datetime.timedelta(hours=1)
# Links mailed for one tenancy within the window; past that a right try gets the same "sent"
# page but no mail, so knowing a neighbour's details does not fill their mailbox.
CLAIM_LINKS_PER_WINDOW = 3
# Letters: 12 characters of an alphabet without look-alikes (0/O, 1/I/L): about 59 bits, read
# in groups of four. The code is random enough that a keyed hash (HMAC) suffices; it costs the
# same for a hit and a miss, so the answer's timing does not tell a wrong code from an
# unknown contract.
ACTIVATION_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
ACTIVATION_CODE_LENGTH = 12
ACTIVATION_CODE_VALID = datetime.timedelta(days=30)
_ACTIVATION_CODE_SALT = "portal.activation-code"


class ClaimNotPossible(ApplicationError):
    pass


@dataclasses.dataclass(frozen=True)
class ClaimStarted:
    """Where the confirmation link went: the address on file, or the one given with a code."""

    email: str
    on_file: bool


def activation_code_normalise(text: str) -> str:
    """A code as typed ("abcd efgh-jkmn") as it is stored: capitals, nothing else."""
    return "".join(character for character in text.upper() if character.isalnum())


def activation_code_hash(code: str) -> str:
    return salted_hmac(
        _ACTIVATION_CODE_SALT, activation_code_normalise(code), algorithm="sha256"
    ).hexdigest()


def activation_code_display(code: str) -> str:
    return "-".join(code[start : start + 4] for start in range(0, len(code), 4))


def email_masked(email: str) -> str:
    """An address shown to whoever knows the tenancy's details: s***@example.nl."""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


@transaction.atomic
def activation_codes_issue(*, tenancies, actor: User | None) -> list[tuple[Tenancy, str]]:
    """A new one-time code for each tenancy given, valid for 30 days; each replaces the
    tenancy's earlier unused code. The codes are returned once, for the letters."""
    tenancies = list(tenancies)
    now = timezone.now()
    ActivationCode.objects.filter(
        tenancy__in=[tenancy.pk for tenancy in tenancies],
        used_at__isnull=True,
        valid_until__gt=now,
    ).update(valid_until=now)
    issued, rows = [], []
    for tenancy in tenancies:
        code = get_random_string(ACTIVATION_CODE_LENGTH, ACTIVATION_CODE_ALPHABET)
        rows.append(
            ActivationCode(
                organisation_id=tenancy.organisation_id,
                tenancy=tenancy,
                code_hash=activation_code_hash(code),
                created_by=actor,
                valid_until=now + ACTIVATION_CODE_VALID,
            )
        )
        issued.append((tenancy, activation_code_display(code)))
    ActivationCode.objects.bulk_create(rows)
    return issued


def tenancy_find_claimable(
    *, contract_number: str, postcode: str, house_number: int, suffix: str
) -> Tenancy | None:
    """A current tenancy matching all four details; None for any mismatch, whichever part.
    It carries the id and hash of its valid unused activation code, if any (one query)."""
    today = timezone.localdate()
    current_code = ActivationCode.objects.filter(
        tenancy=OuterRef("pk"), used_at__isnull=True, valid_until__gt=timezone.now()
    ).order_by("-valid_until")
    return (
        Tenancy.objects.filter(
            contract_number__iexact=contract_number.strip(),
            dwelling__postcode=postcode,
            dwelling__house_number=house_number,
            dwelling__house_number_suffix__iexact=suffix.strip(),
            start_date__lte=today,
        )
        .exclude(end_date__lt=today)
        .annotate(
            code_id=Subquery(current_code.values("pk")[:1]),
            code_hash=Subquery(current_code.values("code_hash")[:1]),
        )
        .select_related("dwelling", "organisation")
        .first()
    )


def _claim_counts(*, client_address: str | None, tenancy: Tenancy | None, now) -> dict:
    """This hour's wrong tries of the client address and of the tenancy, and the links
    mailed for the tenancy (one query, also when there is no tenancy, so the timing does not
    tell)."""
    tenancy_id = tenancy.pk if tenancy is not None else 0
    wrong = Q(link_sent=False)
    return ClaimAttempt.objects.filter(
        Q(client_address=client_address) | Q(tenancy_id=tenancy_id),
        attempted_at__gt=now - CLAIM_THROTTLE_WINDOW,
    ).aggregate(
        by_address=Count("pk", filter=wrong & Q(client_address=client_address)),
        by_tenancy=Count("pk", filter=wrong & Q(tenancy_id=tenancy_id)),
        links=Count("pk", filter=Q(link_sent=True, tenancy_id=tenancy_id)),
    )


@transaction.atomic
def tenancy_claim_request(
    *,
    contract_number: str,
    postcode: str,
    house_number: int,
    suffix: str,
    code: str,
    email: str,
    client_address: str | None,
    build_url,
) -> ClaimStarted | None:
    """Mail a confirmation link if the details name a current tenancy and come with proof of
    possession: a valid activation code (the link goes to the address given with it), or else
    the tenancy's e-mail address on file (the link goes there, never to an address typed).
    None for anything else (wrong details, a wrong, used or expired code, no proof, too many
    wrong tries), which the caller answers with one neutral message; such a try is counted.
    Every failing path reads the same rows, so timing tells little either. Past a few links
    for the tenancy within the hour, a right try is answered the same but mails nothing."""
    now = timezone.now()
    given_hash = activation_code_hash(code)
    tenancy = tenancy_find_claimable(
        contract_number=contract_number, postcode=postcode, house_number=house_number, suffix=suffix
    )
    counts = _claim_counts(client_address=client_address, tenancy=tenancy, now=now)
    throttled = max(counts["by_address"], counts["by_tenancy"]) >= CLAIM_WRONG_TRIES
    started = None
    if tenancy is not None and not throttled:
        if code:
            if tenancy.code_hash and constant_time_compare(tenancy.code_hash, given_hash):
                started = ClaimStarted(
                    email=User.objects.normalize_email(email).lower(), on_file=False
                )
        elif tenancy.email:
            started = ClaimStarted(email=tenancy.email.lower(), on_file=True)
    if started is None:
        ClaimAttempt.objects.create(
            client_address=client_address, tenancy=tenancy, attempted_at=now
        )
        return None
    if counts["links"] >= CLAIM_LINKS_PER_WINDOW:
        return started
    ClaimAttempt.objects.create(
        client_address=client_address, tenancy=tenancy, attempted_at=now, link_sent=True
    )
    token = signing.dumps(
        {
            "tenancy": tenancy.pk,
            "email": started.email,
            "code": None if started.on_file else tenancy.code_id,
        },
        salt=CLAIM_SALT,
    )
    tenancy_claim_mail(
        tenancy=tenancy, email=started.email, link=build_url(reverse("claim_confirm", args=[token]))
    )
    return started


def tenancy_claim_mail(*, tenancy: Tenancy, email: str, link: str) -> None:
    """The confirmation mail, rendered in the visitor's language and queued in the outbox
    with the claim's transaction; it leaves after the commit, or later if mail is down."""
    context = {"tenancy": tenancy, "organisation": tenancy.organisation, "link": link}
    key = f"claim-confirm-{tenancy.pk}-{get_random_string(16)}"
    outbox_add(
        key=key,
        handler=mail_deliver,
        payload={
            "key": key,
            "subject": _("Confirm your e-mail address for %(organisation)s")
            % {"organisation": tenancy.organisation.name},
            "body": render_to_string("portal/mail/claim_confirm.txt", context),
            "from_email": tenancy.organisation.mail_from or None,
            "to": [email],
        },
        organisation_id=tenancy.organisation_id,
    )


def tenancy_claim_read_token(token: str) -> tuple[Tenancy, str]:
    """The tenancy and e-mail address a confirmation link was sent for, if its proof still
    holds: the code unused, or the address still the one on file."""
    try:
        data = signing.loads(token, salt=CLAIM_SALT, max_age=CLAIM_MAX_AGE)
        tenancy = Tenancy.objects.select_related("dwelling", "organisation").get(pk=data["tenancy"])
        email, code_id = data["email"], data["code"]
    except (signing.BadSignature, KeyError, TypeError, Tenancy.DoesNotExist) as error:
        raise ClaimNotPossible(
            _("This link is no longer valid. Links work for 3 days; request a new one.")
        ) from error
    if code_id is None:
        if tenancy.email.lower() != email:
            raise ClaimNotPossible(
                _("This link is no longer valid. Links work for 3 days; request a new one.")
            )
    elif not ActivationCode.objects.filter(
        pk=code_id, tenancy=tenancy, used_at__isnull=True
    ).exists():
        raise ClaimNotPossible(
            _(
                "The activation code of this link has been used already. Log in, or ask your "
                "housing association for a new letter."
            )
        )
    return tenancy, email


@transaction.atomic
def tenancy_claim_complete(
    *,
    token: str,
    password: str,
    existing_user: User | None = None,
    client_address: str | None = None,
) -> User:
    """Link the tenancy to the account of the confirmed address, creating it if needed; the
    activation code of the link is used up, and the time and client address are kept."""
    tenancy, email = tenancy_claim_read_token(token)
    code_id = signing.loads(token, salt=CLAIM_SALT, max_age=CLAIM_MAX_AGE)["code"]
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
        now = timezone.now()
        if code_id is not None:
            used = ActivationCode.objects.filter(
                pk=code_id, tenancy=tenancy, used_at__isnull=True
            ).update(used_at=now)
            if not used:  # used by a second link of the same code, just now
                raise ClaimNotPossible(
                    _(
                        "The activation code of this link has been used already. Log in, or "
                        "ask your housing association for a new letter."
                    )
                )
        tenancy.tenant = user
        tenancy.claimed_at = now
        tenancy.claimed_from_ip = client_address
        tenancy.save(update_fields=["tenant", "claimed_at", "claimed_from_ip"])
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
# The import task's hard time limit (portal.tasks); a job still running this long after it
# started, plus a margin, was stopped and is marked failed by import_jobs_sweep.
IMPORT_TIME_LIMIT = 3600
IMPORT_STALE_AFTER = datetime.timedelta(seconds=IMPORT_TIME_LIMIT + 15 * 60)
# An admin preview's file waits this long for its confirmation.
IMPORT_PREVIEW_KEPT = datetime.timedelta(days=1)
RUNNING_STATUSES = (ImportStatus.CHECKING, ImportStatus.WRITING)


@transaction.atomic
def import_job_start(*, organisation, kind: str, upload, actor) -> "ImportJob":
    job = ImportJob.objects.create(
        organisation=organisation, kind=kind, file=upload, created_by=actor
    )
    # The job row is the record: if the broker is down, import_jobs_requeue starts it later.
    enqueue_on_commit("portal.tasks.import_job_run", job.pk)
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
    with transaction.atomic():
        job = (
            ImportJob.objects.select_for_update()
            .filter(pk=job_id, status=ImportStatus.QUEUED)
            .first()
        )
        if job is None:
            return "not queued"
        job.status = ImportStatus.CHECKING
        job.started_at = timezone.now()
        job.save(update_fields=["status", "started_at"])
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
    except SoftTimeLimitExceeded:
        ImportJob.objects.filter(pk=job.pk, status__in=RUNNING_STATUSES).update(
            status=ImportStatus.FAILED, message=_import_timed_out(), finished_at=timezone.now()
        )
        raise
    except Exception as error:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.FAILED,
            errors=[{"row": 0, "errors": {"": [str(error)]}}],
            finished_at=timezone.now(),
        )
        raise


def _import_timed_out() -> str:
    minutes = IMPORT_TIME_LIMIT // 60
    return _(
        "Stopped: the import did not finish within its time limit of %(minutes)d minutes. "
        "Nothing was written, as a file is written whole or not at all. Split the file, or "
        "try again at a quieter time."
    ) % {"minutes": minutes}


def _preview_expired() -> str:
    return _(
        "The preview was not confirmed within a day, so its file has been removed and nothing "
        "was written. Upload the file again to import it."
    )


@transaction.atomic
def import_jobs_sweep() -> dict[str, int]:
    """Periodic: a job still checking or writing well past the task's hard time limit was
    stopped (its worker killed, the machine restarted) and would say "running" forever: it is
    marked failed, saying that nothing was written (the write is one transaction). Previews
    that were not confirmed within a day lose their file and say so."""
    now = timezone.now()
    stale = ImportJob.objects.filter(
        status__in=RUNNING_STATUSES,
        created_at__lt=now - IMPORT_STALE_AFTER,
    ).filter(Q(started_at__lt=now - IMPORT_STALE_AFTER) | Q(started_at__isnull=True))
    failed = stale.update(status=ImportStatus.FAILED, message=_import_timed_out(), finished_at=now)
    expired = 0
    previews = ImportJob.objects.select_for_update(skip_locked=True).filter(
        status=ImportStatus.PREVIEW, created_at__lt=now - IMPORT_PREVIEW_KEPT
    )
    for job in previews[:1000]:
        if job.file:
            job.file.delete(save=False)
        job.status = ImportStatus.EXPIRED
        job.message = _preview_expired()
        job.finished_at = now
        job.save(update_fields=["file", "status", "message", "finished_at"])
        expired += 1
    return {"failed": failed, "expired": expired}


@transaction.atomic
def import_preview_record(*, organisation, kind: str, file_name: str, rows: int, actor):
    """An admin preview waiting for its confirmation: the file it keeps is removed after a
    day if it is not confirmed (import_jobs_sweep)."""
    return ImportJob.objects.create(
        organisation=organisation,
        kind=kind,
        file=file_name,
        status=ImportStatus.PREVIEW,
        total_rows=rows,
        created_by=actor,
    )


@transaction.atomic
def import_preview_confirm(*, job: ImportJob, new: int, updated: int, skipped: int) -> None:
    """The preview's rows are written: the job is done, its file removed by the import."""
    now = timezone.now()
    ImportJob.objects.filter(pk=job.pk, status=ImportStatus.PREVIEW).update(
        status=ImportStatus.DONE,
        file="",
        processed_rows=new + updated + skipped,
        new_rows=new,
        updated_rows=updated,
        skipped_rows=skipped,
        started_at=now,
        finished_at=now,
    )


@transaction.atomic
def import_job_write(*, job: ImportJob, resource, checked) -> None:
    """Write a checked file: per chunk one bulk upsert of its new and changed rows (matched on
    the association and the reference, so a row added meanwhile is updated, not doubled) and
    the progress; then tell other apps which dwellings are new or moved, and mark the job done,
    all in this one transaction."""
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
    if model is Dwelling and any(
        row.instance is not None and row.instance.cbs_buurt_code for row in checked.rows
    ):
        # the neighbourhoods (CBS buurten) the file names join the association's list
        neighbourhoods_from_dwellings(organisation_id=job.organisation_id)
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
    done = ImportJob.objects.filter(pk=job.pk, status=ImportStatus.WRITING).update(
        status=ImportStatus.DONE, finished_at=timezone.now()
    )
    if not done:
        # Marked failed meanwhile (past its time limit): the rows are rolled back, as it says.
        raise ApplicationError(_("The import was stopped before it finished."))


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


@transaction.atomic
def claim_attempts_prune() -> int:
    """Periodic: wrong claim tries older than the throttle's window count no more."""
    cutoff = timezone.now() - CLAIM_THROTTLE_WINDOW
    deleted, _by_model = ClaimAttempt.objects.filter(attempted_at__lt=cutoff).delete()
    return deleted


@transaction.atomic
def neighbourhoods_from_dwellings(*, organisation_id: int) -> int:
    """Add to the association's list the CBS neighbourhoods its dwellings name (by code, with
    the name a dwelling gives, else the code) that the list lacks; returns how many were
    added. Three queries (the list, the dwellings' codes, one insert): safe to run again."""
    listed = list(
        Neighbourhood.objects.filter(organisation_id=organisation_id).values_list(
            "cbs_buurt_code", "name"
        )
    )
    known = {code for code, _name in listed if code}
    names = {name for _code, name in listed}
    found: dict[str, str] = {}
    for code, name in (
        Dwelling.objects.filter(organisation_id=organisation_id)
        .exclude(cbs_buurt_code="")
        .values_list("cbs_buurt_code", "neighbourhood_name")
        .distinct()
        .order_by("cbs_buurt_code", "neighbourhood_name")
    ):
        if code not in known and (code not in found or not found[code]):
            found[code] = name
    new = []
    for code, name in sorted(found.items()):
        name = name or code
        if name in names:  # a name already in use gets its code to tell them apart
            name = f"{name} ({code})"
        names.add(name)
        new.append(Neighbourhood(organisation_id=organisation_id, cbs_buurt_code=code, name=name))
    Neighbourhood.objects.bulk_create(new, ignore_conflicts=True)
    return len(new)
