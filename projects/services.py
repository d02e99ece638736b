"""Every write of a project: its dwellings (by complex, street range or an uploaded list),
the invitations and reminders, the capacity kept for it, the tenant's booking and answer,
and closing it.

Capacity: reserving N places of a contractor's daypart raises the slot's `booked` by N with
the same conditional UPDATE a repair's booking uses, so repairs cannot take those places. A
tenant's booking locks the project's reservation row, gives one of its places back to the
slot and books it at once through repairs' own appointment_create, in one transaction: the
slot row stays locked by that UPDATE until commit, so nobody else takes the place between.

A project visit that moves or is cancelled gives its place back to the project's reservation,
not to the open capacity: the tenant moves or cancels it on the project page (the services
below), and a visit the contractor moves or cancels on its own screens or through the API
(repairs' services, which do not know projects) is put right by the periodic
project_reservations_reconcile, which counts each reservation's visits again."""

import contextlib
import csv
import datetime
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from contractors.models import Slot
from contractors.services import slot_release_one
from outbox.services import outbox_send_keys
from portal.errors import ApplicationError, TransitionNotAllowed
from portal.models import CollectiveObject, Dwelling, Tenancy, User
from portal.postcode import normalise_postcode
from repairs.catalogue import GENERIC_DEFECT, GENERIC_TRADE
from repairs.lifecycle import Status
from repairs.models import (
    Appointment,
    AppointmentStatus,
    RepairCategory,
    RepairRequest,
    Responsibility,
)
from repairs.norms import end_of_day
from repairs.services import (
    Origin,
    SlotFull,
    SlotNotBookable,
    appointment_create,
    appointment_reschedule,
    contractor_notification_queue,
    repair_request_cancel,
    repair_request_lock,
    repair_request_order_planned_work,
)

from .models import (
    DwellingStatus,
    Project,
    ProjectDwelling,
    ProjectScope,
    ProjectSlot,
    ResponseKind,
)
from .notifications import mail_key, project_mail_queue

# The reminder goes this long after the invitation to those who have not answered.
REMINDER_AFTER = datetime.timedelta(days=7)
# The longest question or objection kept; staff read it in the admin.
RESPONSE_LENGTH = 2000
# An uploaded list is read up to this many rows.
LIST_MAX_ROWS = 5000

PLANNED_WORK_NL = "Gepland onderhoud"
PLANNED_WORK_EN = "Planned maintenance"
PLANNED_WORK_ROOM = "OVE"


class ProjectClosed(ApplicationError):
    pass


class AlreadyAnswered(ApplicationError):
    pass


# -- the dwellings -----------------------------------------------------------------------


def project_scope_dwellings(project: Project) -> QuerySet[Dwelling]:
    """The association's dwellings that the project's scope names (a complex or a street
    range); none for an uploaded list, whose dwellings are added from the file."""
    dwellings = Dwelling.objects.filter(
        organisation_id=project.organisation_id, in_portfolio_until__isnull=True
    )
    if project.scope == ProjectScope.COMPLEX:
        objects = CollectiveObject.objects.filter(
            organisation_id=project.organisation_id, complex_code=project.complex_code
        )
        match = Q(pk__in=[])
        for common in objects:
            part = Q(postcode=common.postcode, house_number__gte=common.house_number_from)
            if common.house_number_to is not None:
                part &= Q(house_number__lte=common.house_number_to)
            match |= part
        return dwellings.filter(match)
    if project.scope == ProjectScope.STREET:
        found = dwellings.filter(postcode=project.postcode)
        if project.street:
            found = found.filter(street__iexact=project.street)
        if project.house_number_from is not None:
            found = found.filter(house_number__gte=project.house_number_from)
        if project.house_number_to is not None:
            found = found.filter(house_number__lte=project.house_number_to)
        return found
    return dwellings.none()


def _current_tenancies(dwelling_ids: list[int]) -> dict[int, int]:
    today = timezone.localdate()
    tenancies = (
        Tenancy.objects.filter(dwelling_id__in=dwelling_ids, start_date__lte=today)
        .exclude(end_date__lt=today)
        .order_by("dwelling_id", "-start_date", "-pk")
        .values_list("dwelling_id", "pk")
    )
    current: dict[int, int] = {}
    for dwelling_id, tenancy_id in tenancies:
        current.setdefault(dwelling_id, tenancy_id)
    return current


@transaction.atomic
def project_dwellings_add(*, project: Project, dwellings: QuerySet[Dwelling] | None = None) -> int:
    """Add dwellings to the project (by default those of its scope), each once, with the
    tenancy running today. Returns how many were new."""
    if project.closed_at is not None:
        raise ProjectClosed(_("This project is closed."))
    if dwellings is None:
        dwellings = project_scope_dwellings(project)
    ids = list(
        dwellings.filter(organisation_id=project.organisation_id).values_list("pk", flat=True)
    )
    tenancies = _current_tenancies(ids)
    before = project.dwellings.count()
    ProjectDwelling.objects.bulk_create(
        [
            ProjectDwelling(
                organisation_id=project.organisation_id,
                project=project,
                dwelling_id=dwelling_id,
                tenancy_id=tenancies.get(dwelling_id),
            )
            for dwelling_id in ids
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    return project.dwellings.count() - before


@dataclass
class ListResult:
    added: int = 0
    errors: list[str] = field(default_factory=list)


HOUSE_NUMBER = re.compile(r"^\s*(\d+)\s*[-\s]?\s*([A-Za-z0-9]*)\s*$")


def project_dwellings_from_csv(*, project: Project, content: bytes) -> ListResult:
    """Add the dwellings of an uploaded list: one a row, either a VHE number (one column) or
    a postcode and house number (with a suffix, as a third column or after the number). A
    heading row is skipped; rows not found are reported by line, and the rest is added."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = content.decode("latin-1")
    dialect = csv.excel
    with contextlib.suppress(csv.Error):
        dialect = csv.Sniffer().sniff(text[:2000], delimiters=",;\t")
    result = ListResult()
    references: dict[str, int] = {}
    addresses: dict[tuple[str, int, str], int] = {}
    for line, row in enumerate(csv.reader(io.StringIO(text), dialect), start=1):
        if line > LIST_MAX_ROWS:
            result.errors.append(_("Only the first %(n)d rows are read.") % {"n": LIST_MAX_ROWS})
            break
        cells = [cell.strip() for cell in row if cell.strip()]
        if not cells:
            continue
        if len(cells) == 1:
            references[cells[0]] = line
            continue
        try:
            postcode = normalise_postcode(cells[0])
        except ValidationError:
            if line > 1:  # the first row may be a heading
                result.errors.append(_("Line %(line)d: not a postcode.") % {"line": line})
            continue
        match = HOUSE_NUMBER.match(cells[1])
        if match is None:
            result.errors.append(_("Line %(line)d: not a house number.") % {"line": line})
            continue
        suffix = cells[2] if len(cells) > 2 else match.group(2)
        addresses[(postcode, int(match.group(1)), suffix.upper())] = line
    dwellings = Dwelling.objects.filter(organisation_id=project.organisation_id)
    found_ids: set[int] = set()
    if references:
        found = dict(
            dwellings.filter(reference__in=list(references)).values_list("reference", "pk")
        )
        for reference, line in references.items():
            if reference in found:
                found_ids.add(found[reference])
            elif line > 1:
                result.errors.append(
                    _("Line %(line)d: no dwelling with VHE number %(reference)s.")
                    % {"line": line, "reference": reference}
                )
    if addresses:
        postcodes = {postcode for postcode, _number, _suffix in addresses}
        known = {
            (postcode, number, suffix.upper()): pk
            for postcode, number, suffix, pk in dwellings.filter(
                postcode__in=postcodes
            ).values_list("postcode", "house_number", "house_number_suffix", "pk")
        }
        for address, line in addresses.items():
            if address in known:
                found_ids.add(known[address])
            else:
                result.errors.append(
                    _("Line %(line)d: no dwelling at this address.") % {"line": line}
                )
    result.added = project_dwellings_add(
        project=project, dwellings=Dwelling.objects.filter(pk__in=found_ids)
    )
    return result


# -- invitations and reminders ------------------------------------------------------------


@transaction.atomic
def project_invite(*, project: Project, now: datetime.datetime | None = None) -> int:
    """Invite the tenant of every dwelling not invited yet: the mail with the letter and the
    link to their page, and a reminder due a week later. Returns how many were invited."""
    now = now or timezone.now()
    project = Project.objects.select_for_update().get(pk=project.pk)
    if project.closed_at is not None:
        raise ProjectClosed(_("This project is closed."))
    rows = list(
        project.dwellings.select_for_update().filter(invited_at__isnull=True).order_by("pk")
    )
    for row in rows:
        project_mail_queue(row, reminder=False)
    ProjectDwelling.objects.filter(pk__in=[row.pk for row in rows]).update(
        invited_at=now, reminder_due_at=now + REMINDER_AFTER
    )
    if project.invited_at is None:
        project.invited_at = now
        project.save(update_fields=["invited_at"])
    return len(rows)


def project_reminders_send(*, now: datetime.datetime | None = None, limit: int = 2000) -> int:
    """Queue the one reminder of every invited tenant who has neither booked nor answered
    once it is due, and send them. A second run finds reminded_at set and does nothing."""
    now = now or timezone.now()
    due = ProjectDwelling.objects.filter(
        status=DwellingStatus.INVITED,
        responded_at__isnull=True,
        reminded_at__isnull=True,
        reminder_due_at__lte=now,
        project__closed_at__isnull=True,
    ).values_list("pk", flat=True)[:limit]
    keys = []
    for row_id in list(due):
        with transaction.atomic():
            row = (
                ProjectDwelling.objects.select_for_update()
                .filter(pk=row_id, reminded_at__isnull=True, status=DwellingStatus.INVITED)
                .first()
            )
            if row is None:
                continue
            project_mail_queue(row, reminder=True, send_after_commit=False)
            row.reminded_at = now
            row.save(update_fields=["reminded_at"])
        keys.append(mail_key(row_id, reminder=True))
    return outbox_send_keys(keys) if keys else 0


# -- capacity ----------------------------------------------------------------------------


@transaction.atomic
def project_capacity_reserve(*, project: Project, slot: Slot | int, visits: int) -> ProjectSlot:
    """Keep `visits` free places of a daypart of the project's contractor and area for the
    project; refused when the daypart lies outside the project's period or has fewer free."""
    if visits < 1:
        raise ApplicationError(_("Reserve at least one visit."), extra={"field": "reserved"})
    if project.closed_at is not None:
        raise ProjectClosed(_("This project is closed."))
    slot_id = getattr(slot, "pk", slot)
    slot = (
        Slot.objects.filter(
            pk=slot_id, contractor_id=project.contractor_id, area_id=project.contract.area_id
        )
        .select_related("daypart")
        .first()
    )
    if slot is None:
        raise SlotNotBookable(
            _("This daypart is not the project's contractor's in the contract's area."),
            extra={"field": "slot"},
        )
    if not project.starts_on <= slot.date <= project.ends_on:
        raise SlotNotBookable(
            _("This daypart is outside the project's period."), extra={"field": "slot"}
        )
    taken = Slot.objects.filter(pk=slot.pk, booked__lte=F("capacity") - visits).update(
        booked=F("booked") + visits
    )
    if not taken:
        raise SlotFull(
            _("This daypart has fewer than %(n)d free places.") % {"n": visits},
            extra={"field": "reserved"},
        )
    reservation, created = ProjectSlot.objects.get_or_create(
        project=project,
        slot=slot,
        defaults={"organisation_id": project.organisation_id, "reserved": visits},
    )
    if not created:
        ProjectSlot.objects.filter(pk=reservation.pk).update(reserved=F("reserved") + visits)
        reservation.refresh_from_db(fields=["reserved"])
    return reservation


def project_capacity_reserve_free(*, project: Project, limit: int | None = None) -> int:
    """Reserve free places in the dayparts of the project's contractor and area in the
    project's period (from tomorrow), until as many are kept as the project has dwellings
    without a visit. Half of each daypart (rounded up) stays free for repairs, so tenants
    who report a defect still find a time soon. Returns how many places were reserved."""
    wanted = project.dwellings.exclude(status=DwellingStatus.OBJECTED).count()
    kept = (
        sum(reservation.reserved - reservation.used for reservation in project.slots.all())
        + project.dwellings.filter(status__in=[DwellingStatus.BOOKED, DwellingStatus.DONE]).count()
    )
    still = (wanted - kept) if limit is None else limit
    first = max(project.starts_on, timezone.localdate() + datetime.timedelta(days=1))
    slots = Slot.objects.filter(
        contractor_id=project.contractor_id,
        area_id=project.contract.area_id,
        date__gte=first,
        date__lte=project.ends_on,
        booked__lt=F("capacity"),
    ).order_by("starts_at")
    reserved = 0
    for slot in slots:
        if still <= 0:
            break
        visits = min(slot.capacity - slot.booked - (slot.capacity + 1) // 2, still)
        if visits <= 0:
            continue
        try:
            project_capacity_reserve(project=project, slot=slot, visits=visits)
        except SlotFull:
            continue  # taken meanwhile
        reserved += visits
        still -= visits
    return reserved


@transaction.atomic
def project_close(*, project: Project, now: datetime.datetime | None = None) -> int:
    """Close the project: the reserved places no tenant used go back to the contractor's
    dayparts (for repairs). Returns how many places were released; a second call none."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    released = 0
    reservations = (
        ProjectSlot.objects.select_for_update()
        .filter(project=project, reserved__gt=F("used"))
        .order_by("slot_id")
    )
    for reservation in reservations:
        unused = reservation.reserved - reservation.used
        Slot.objects.filter(pk=reservation.slot_id, booked__gte=unused).update(
            booked=F("booked") - unused
        )
        reservation.reserved = reservation.used
        reservation.save(update_fields=["reserved"])
        released += unused
    if project.closed_at is None:
        project.closed_at = now or timezone.now()
        project.save(update_fields=["closed_at"])
    return released


def projects_ended_close(*, today: datetime.date | None = None) -> int:
    """Close every project whose last day has passed, releasing its unused places."""
    today = today or timezone.localdate()
    released = 0
    for project in Project.objects.filter(closed_at__isnull=True, ends_on__lt=today):
        released += project_close(project=project)
    return released


def project_progress_sync() -> int:
    """Mark dwellings done whose visit's order is completed, and put a dwelling whose order
    was cancelled or rejected back to invited (its tenant may book again). Reads the orders
    of booked dwellings only."""
    done = ProjectDwelling.objects.filter(
        status=DwellingStatus.BOOKED, request__status=Status.COMPLETED
    ).update(status=DwellingStatus.DONE)
    reopened = ProjectDwelling.objects.filter(
        status=DwellingStatus.BOOKED,
        request__status__in=[Status.CANCELLED, Status.REJECTED],
    ).update(status=DwellingStatus.INVITED, request=None)
    # The visit cancelled, not the order (repairs' appointment_cancel): the tenant picks a
    # time again, for the same order.
    unplanned = ProjectDwelling.objects.filter(
        status=DwellingStatus.BOOKED, request__status=Status.ROUTED
    ).update(status=DwellingStatus.INVITED)
    return done + reopened + unplanned


# -- a visit that moved or was cancelled -------------------------------------------------

# The visits that hold a place of a daypart: planned or done, each with its own place (a
# job riding along on another's visit holds none).
HOLDING = [AppointmentStatus.PLANNED, AppointmentStatus.DONE]


def _visits_counted(reservations: list[ProjectSlot]) -> dict[tuple[int, int], int]:
    """How many of each reservation's project's visits hold a place in its daypart now."""
    if not reservations:
        return {}
    rows = (
        Appointment.objects.filter(
            slot_id__in={reservation.slot_id for reservation in reservations},
            request__project_dwelling__project_id__in={r.project_id for r in reservations},
            status__in=HOLDING,
            shared_visit__isnull=True,
        )
        .order_by()
        .values_list("request__project_dwelling__project_id", "slot_id")
        .annotate(n=Count("pk"))
    )
    return {(project_id, slot_id): n for project_id, slot_id, n in rows}


def _reservations_settle(
    reservations: list[ProjectSlot], *, now: datetime.datetime | None = None
) -> int:
    """Put locked reservations right after visits left them: a place a visit no longer holds
    goes back to the project's reservation (taken again from the slot, which the visit's end
    gave it back to). When the slot has no free place left (a repair took it meanwhile), or
    the project is closed or the daypart over, the reservation shrinks instead and the place
    stays the contractor's. Returns how many places were settled; a second call none."""
    now = now or timezone.now()
    counted = _visits_counted(reservations)
    settled = 0
    for reservation in reservations:
        surplus = reservation.used - counted.get((reservation.project_id, reservation.slot_id), 0)
        if surplus <= 0:
            continue
        back = 0
        if reservation.project.closed_at is None and reservation.slot.ends_at > now:
            slot = Slot.objects.select_for_update().get(pk=reservation.slot_id)
            back = min(surplus, max(slot.capacity - slot.booked, 0))
            if back:
                Slot.objects.filter(pk=slot.pk).update(booked=F("booked") + back)
        reservation.used -= surplus
        reservation.reserved -= surplus - back
        reservation.save(update_fields=["used", "reserved"])
        settled += surplus
    return settled


def _reservations_lock(*conditions: Q, **filters) -> list[ProjectSlot]:
    return list(
        ProjectSlot.objects.select_for_update(of=("self",))
        .select_related("project", "slot")
        .filter(*conditions, **filters)
        .order_by("pk")
    )


def project_reservations_reconcile(*, now: datetime.datetime | None = None) -> int:
    """The periodic part of the rule above, for visits the contractor moved or cancelled on
    its own screens or through its API: every reservation counting more used places than its
    project has visits in its daypart gets them back (_reservations_settle). Each is locked
    and counted again in its own transaction, so a second run, or a tenant's booking at the
    same time, changes nothing twice. Returns how many places were settled."""
    counted = (
        Appointment.objects.filter(
            slot_id=OuterRef("slot_id"),
            request__project_dwelling__project_id=OuterRef("project_id"),
            status__in=HOLDING,
            shared_visit__isnull=True,
        )
        .order_by()
        .values("slot_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    ids = list(
        ProjectSlot.objects.filter(used__gt=0)
        .annotate(counted=Coalesce(Subquery(counted), 0))
        .filter(used__gt=F("counted"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    settled = 0
    for reservation_id in ids:
        with transaction.atomic():
            settled += _reservations_settle(_reservations_lock(pk=reservation_id), now=now)
    return settled


# -- the tenant --------------------------------------------------------------------------


def planned_work_category(project: Project) -> RepairCategory:
    """The category of the project's visits: its own, or the association's "Planned
    maintenance" (not offered to tenants), made the first time."""
    if project.category_id is not None:
        return project.category
    lookup = {
        "organisation_id": project.organisation_id,
        "room_code": PLANNED_WORK_ROOM,
        "defect_code": GENERIC_DEFECT,
        "name_nl": PLANNED_WORK_NL,
    }
    category = RepairCategory.objects.filter(**lookup).first()
    if category is not None:
        return category
    try:
        with transaction.atomic():
            return RepairCategory.objects.create(
                **lookup,
                name_en=PLANNED_WORK_EN,
                trade_code=GENERIC_TRADE,
                responsibility=Responsibility.LANDLORD,
                is_active=False,
            )
    except IntegrityError:
        return RepairCategory.objects.get(**lookup)


def _row_lock(row: ProjectDwelling) -> ProjectDwelling:
    return (
        ProjectDwelling.objects.select_for_update(of=("self",))
        .select_related("project__contract__area", "project__contractor", "dwelling", "tenancy")
        .get(pk=row.pk)
    )


def _check_open(row: ProjectDwelling) -> None:
    project = row.project
    if project.closed_at is not None or project.ends_on < timezone.localdate():
        raise ProjectClosed(_("This project is over; call your housing association."))
    if row.status != DwellingStatus.INVITED:
        raise AlreadyAnswered(
            _("You have answered already: see what happens next below."),
            extra={"status": row.status},
        )


@transaction.atomic
def project_visit_book(
    *, row: ProjectDwelling, reservation_id: int, actor: User | None
) -> RepairRequest:
    """The tenant books one of the project's reserved places for their dwelling: an order of
    the project's kind routed to its contract, its visit in the reserved daypart, the usual
    confirmation with the calendar invitation and the contractor's notice.

    The tenant's rules of a repair booking hold: a daypart from tomorrow on, one planned
    visit per dwelling (the row lock and the order's one planned visit). Two tenants for the
    last place: the reservation row lock lets one in, the other finds it used."""
    row = _row_lock(row)
    _check_open(row)
    project = row.project
    reservation = (
        ProjectSlot.objects.select_for_update()
        .select_related("slot")
        .filter(pk=reservation_id, project=project)
        .first()
    )
    if reservation is None:
        raise SlotNotBookable(
            _("This time is not offered for this project. Choose another time."),
            extra={"field": "slot"},
        )
    slot = reservation.slot
    today = timezone.localdate()
    if slot.date <= today or slot.starts_at <= timezone.now():
        raise SlotNotBookable(
            _("This time has passed. Choose another time."), extra={"field": "slot"}
        )
    if reservation.used >= reservation.reserved:
        raise SlotFull(
            _("Sorry, this time was just taken by someone else. Choose another time."),
            extra={"field": "slot"},
        )
    # An order whose visit was cancelled is booked again; otherwise the visit gets its order.
    repair_request = (
        RepairRequest.objects.filter(pk=row.request_id, status=Status.ROUTED).first()
        if row.request_id is not None
        else None
    ) or repair_request_order_planned_work(
        dwelling=row.dwelling,
        tenancy=row.tenancy,
        category=planned_work_category(project),
        contract=project.contract,
        maintenance_kind=project.kind,
        description=project.name,
        complete_due_at=end_of_day(project.ends_on),
        reported_by=actor,
    )
    reservation.used = F("used") + 1
    reservation.save(update_fields=["used"])
    # Give the reserved place back to the slot and take it again as the visit: the UPDATE
    # keeps the slot row locked until commit, so no repair takes it between the two.
    slot_release_one(slot_id=slot.pk)
    appointment = appointment_create(
        repair_request=repair_request, slot=slot.pk, actor=actor, origin=Origin.PLANNER
    )
    contractor_notification_queue(
        repair_request=repair_request, kind="booked", key=f"contractor-booked-{appointment.pk}"
    )
    row.status = DwellingStatus.BOOKED
    row.request = repair_request
    row.save(update_fields=["status", "request"])
    return repair_request


@transaction.atomic
def project_respond(
    *, row: ProjectDwelling, kind: str, text: str, actor: User | None
) -> ProjectDwelling:
    """The tenant sends a question (they may still book) or an objection (they do not want
    the work; no visit is booked); staff read it in the admin."""
    if kind not in ResponseKind.values:
        raise ApplicationError(
            _("Choose whether you have a question or an objection."), extra={"field": "kind"}
        )
    text = text.strip()
    if not text:
        raise ApplicationError(
            _("Write your question or objection, so that we can answer it."),
            extra={"field": "text"},
        )
    row = _row_lock(row)
    if row.status == DwellingStatus.OBJECTED:
        raise AlreadyAnswered(_("You have objected already: we will contact you."))
    if kind == ResponseKind.OBJECTION and row.status != DwellingStatus.INVITED:
        raise TransitionNotAllowed(
            _("Your visit is booked. To object, call your housing association."),
            extra={"field": "kind"},
        )
    if row.project.closed_at is not None:
        raise ProjectClosed(_("This project is over; call your housing association."))
    row.response_kind = kind
    row.response_text = text[:RESPONSE_LENGTH]
    row.responded_at = timezone.now()
    fields = ["response_kind", "response_text", "responded_at"]
    if kind == ResponseKind.OBJECTION:
        row.status = DwellingStatus.OBJECTED
        fields.append("status")
    row.save(update_fields=fields)
    return row


def _booked_visit(row: ProjectDwelling) -> Appointment:
    """The dwelling's planned visit. Its order is locked first, as repairs' own moves lock
    it before the dayparts, so a contractor moving the same visit waits rather than locks."""
    if row.status == DwellingStatus.BOOKED and row.request_id is not None:
        repair_request_lock(row.request)
    visit = (
        Appointment.objects.filter(request_id=row.request_id, status=AppointmentStatus.PLANNED)
        .order_by("-pk")
        .first()
        if row.status == DwellingStatus.BOOKED and row.request_id is not None
        else None
    )
    if visit is None:
        raise TransitionNotAllowed(_("You have no booked visit to change."))
    return visit


@transaction.atomic
def project_visit_move(
    *, row: ProjectDwelling, reservation_id: int, actor: User | None
) -> Appointment:
    """The tenant moves their booked visit to another of the project's kept places, until 24
    hours before it. Locks as a booking does (the dwelling's row, then the reservations, then
    both dayparts in key order): the new place is taken from its reservation, the old one goes
    back to the project's reservation of its daypart, not to the open capacity. The tenant
    gets the new invitation and the contractor a notice."""
    row = _row_lock(row)
    project = row.project
    if project.closed_at is not None or project.ends_on < timezone.localdate():
        raise ProjectClosed(_("This project is over; call your housing association."))
    current = _booked_visit(row)
    reservations = _reservations_lock(
        Q(pk=reservation_id) | Q(slot_id=current.slot_id), project=project
    )
    target = next((r for r in reservations if r.pk == reservation_id), None)
    if target is None:
        raise SlotNotBookable(
            _("This time is not offered for this project. Choose another time."),
            extra={"field": "slot"},
        )
    if target.slot_id == current.slot_id:
        raise SlotNotBookable(
            _("That is the time you have already. Choose another time."), extra={"field": "slot"}
        )
    if target.slot.date <= timezone.localdate() or target.slot.starts_at <= timezone.now():
        raise SlotNotBookable(
            _("This time has passed. Choose another time."), extra={"field": "slot"}
        )
    if target.used >= target.reserved:
        raise SlotFull(
            _("Sorry, this time was just taken by someone else. Choose another time."),
            extra={"field": "slot"},
        )
    list(
        Slot.objects.select_for_update()
        .filter(pk__in=[current.slot_id, target.slot_id])
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    ProjectSlot.objects.filter(pk=target.pk).update(used=F("used") + 1)
    target.used += 1
    # As when booking: the kept place goes back to the slot and is taken again at once by
    # the visit, the slot row locked throughout.
    slot_release_one(slot_id=target.slot_id)
    appointment = appointment_reschedule(
        repair_request=row.request, slot_id=target.slot_id, actor=actor, origin=Origin.PLANNER
    )
    contractor_notification_queue(
        repair_request=row.request,
        kind="rescheduled",
        key=f"contractor-rescheduled-{appointment.pk}",
    )
    _reservations_settle([r for r in reservations if r.slot_id == current.slot_id])
    return appointment


@transaction.atomic
def project_visit_cancel(
    *, row: ProjectDwelling, reason: str, actor: User | None
) -> ProjectDwelling:
    """The tenant cancels their booked visit, with a reason, until 24 hours before it: the
    order is cancelled (the contractor is told), its place goes back to the project's
    reservation, and the dwelling is invited again, so the tenant may book another time."""
    row = _row_lock(row)
    current = _booked_visit(row)
    reservations = _reservations_lock(project=row.project, slot_id=current.slot_id)
    repair_request_cancel(repair_request=row.request, reason=reason, actor=actor)
    row.status = DwellingStatus.INVITED
    row.request = None
    row.save(update_fields=["status", "request"])
    _reservations_settle(reservations)
    return row
