"""Scoped reads for contractor users: their work queue, request pages and the day's visits.

A planner sees all work of their contractor, across associations; a craftsman their own
visits and today's unassigned ones. Anything else answers 404, as a missing row does."""

import datetime
import operator
from dataclasses import dataclass
from functools import reduce

from django.db.models import (
    Exists,
    FilteredRelation,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.http import Http404
from django.utils import timezone

from contractors.access import is_planner
from contractors.models import ContractorMembership, ContractorRole
from portal.models import Dwelling

from .lifecycle import OPEN_STATUSES, PLANNABLE_STATUSES, Status
from .models import IS_OPEN, Appointment, AppointmentStatus, MaterialReuse, Photo, RepairRequest
from .selectors import waiting_for_a_visit

QUEUES = ("new", "plan", "planned", "today", "overdue", "late", "emergency", "all")


def _day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    start = timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))
    return start, start + datetime.timedelta(days=1)


def _craftsmans_visits(membership: ContractorMembership) -> Q:
    """A craftsman's own visits, and today's planned visits nobody is assigned to yet."""
    start, end = _day_bounds(timezone.localdate())
    return Q(craftsman_id=membership.user_id) | Q(
        craftsman__isnull=True,
        status=AppointmentStatus.PLANNED,
        starts_at__gte=start,
        starts_at__lt=end,
    )


def visible_requests(*, membership: ContractorMembership) -> QuerySet[RepairRequest]:
    requests = RepairRequest.objects.filter(contractor_id=membership.contractor_id)
    if is_planner(membership):
        return requests
    mine = Appointment.objects.filter(request_id=OuterRef("pk")).filter(
        _craftsmans_visits(membership)
    )
    return requests.filter(Exists(mine))


def work_queue(
    *, membership: ContractorMembership, queue: str, search: str = ""
) -> QuerySet[RepairRequest]:
    """One of the planner's lists (docs/decisions.md, "Work queue lists"), searched.

    Each list is a predicate on the request's own columns that request_contractor_queue
    serves (contractor, status, emergencies first, oldest first; the list to be planned has
    request_contractor_waiting); "all" is ordered open first, newest first, by
    request_contractor_open_new. "planned" holds the requests with a visit planned from today
    on, by the visit's time: it is read from the contractor's planned visits in time order
    (appointment_contractor_planned), each joined to its request by key. A visit is planned
    only while its
    request is scheduled (planning moves the request to scheduled; recording, moving and
    cancelling take the visit off "planned"), so today's and overdue visits are looked up
    among the contractor's scheduled requests only. "late" holds the open requests past
    their latest completion (repairs.norms), by deadline (request_contractor_late)."""
    requests = visible_requests(membership=membership)
    now = timezone.now()
    start, end = _day_bounds(timezone.localdate())
    planned = Appointment.objects.filter(
        request_id=OuterRef("pk"), status=AppointmentStatus.PLANNED
    )
    order = ("-is_urgent", "created_at", "pk")
    if queue == "new":
        requests = requests.filter(status=Status.ROUTED).filter(
            ~Exists(Appointment.objects.filter(request_id=OuterRef("pk")))
        )
    elif queue == "plan":
        requests = requests.filter(waiting_for_a_visit())
    elif queue == "planned":
        requests = (
            requests.filter(status=Status.SCHEDULED)
            .alias(
                visit=FilteredRelation(
                    "appointments", condition=Q(appointments__status=AppointmentStatus.PLANNED)
                )
            )
            .filter(visit__contractor_id=membership.contractor_id, visit__starts_at__gte=start)
        )
        order = ("visit__starts_at", "visit__id")
    elif queue == "today":
        requests = requests.filter(status=Status.SCHEDULED).filter(
            Exists(planned.filter(starts_at__gte=start, starts_at__lt=end))
        )
    elif queue == "overdue":
        requests = requests.filter(status=Status.SCHEDULED).filter(
            Exists(planned.filter(ends_at__lt=now))
        )
    elif queue == "late":
        # Open and past the latest completion, the longest overdue first
        # (request_contractor_late holds the open requests with a deadline, by deadline).
        requests = requests.filter(
            status__in=sorted(OPEN_STATUSES), complete_due_at__isnull=False
        ).filter(complete_due_at__lt=now)
        order = ("complete_due_at", "pk")
    elif queue == "emergency":
        requests = requests.filter(is_urgent=True, status__in=sorted(OPEN_STATUSES))
    elif queue == "all":
        order = (IS_OPEN.desc(), "-created_at", "-pk")
    else:
        raise Http404
    return (
        requests.search(search)
        .select_related("dwelling", "category", "organisation")
        .prefetch_related(
            Prefetch(
                "appointments",
                queryset=Appointment.objects.filter(
                    status=AppointmentStatus.PLANNED
                ).select_related("slot__daypart", "craftsman"),
                to_attr="planned_appointments",
            )
        )
        .order_by(*order)
    )


def request_for_contractor(*, membership: ContractorMembership, reference: str) -> RepairRequest:
    repair_request = (
        visible_requests(membership=membership)
        .filter(reference=reference)
        .select_related(
            "dwelling",
            "category",
            "organisation",
            "contract__area",
            "reported_by",
            "tenancy__tenant",
        )
        .prefetch_related(
            Prefetch("events", to_attr="timeline"),
            Prefetch(
                "appointments",
                queryset=Appointment.objects.select_related("slot__daypart", "craftsman")
                .prefetch_related(
                    Prefetch(
                        "reuses", queryset=MaterialReuse.objects.select_related("source_dwelling")
                    )
                )
                .order_by("starts_at"),
                to_attr="all_appointments",
            ),
            Prefetch("photos", queryset=Photo.objects.order_by("pk"), to_attr="photo_list"),
        )
        .first()
    )
    if repair_request is None:
        raise Http404
    return repair_request


def appointment_for_contractor(
    *, membership: ContractorMembership, appointment_id: int
) -> Appointment:
    appointments = Appointment.objects.filter(
        pk=appointment_id,
        contractor_id=membership.contractor_id,
        request__contractor_id=membership.contractor_id,
    )
    if not is_planner(membership):
        # Seeing a request through an earlier visit is no licence to record a colleague's.
        appointments = appointments.filter(_craftsmans_visits(membership))
    appointment = appointments.select_related(
        "request__dwelling", "request__category", "slot__daypart"
    ).first()
    if appointment is None:
        raise Http404
    return appointment


def craftsman_day(*, membership: ContractorMembership, day: datetime.date) -> QuerySet[Appointment]:
    """A craftsman's visits of the day in time order: their own and the unassigned ones."""
    start, end = _day_bounds(day)
    visits = Appointment.objects.filter(
        contractor_id=membership.contractor_id, starts_at__gte=start, starts_at__lt=end
    ).exclude(status__in=[AppointmentStatus.MOVED, AppointmentStatus.CANCELLED])
    if membership.role == ContractorRole.CRAFTSMAN:
        visits = visits.filter(Q(craftsman_id=membership.user_id) | Q(craftsman__isnull=True))
    return (
        visits.select_related(
            "request__dwelling", "request__category", "slot__daypart", "craftsman"
        )
        .prefetch_related(
            Prefetch("request__photos", queryset=Photo.objects.order_by("pk"), to_attr="photo_list")
        )
        .order_by("starts_at", "pk")
    )


def photo_for_contractor(
    *, membership: ContractorMembership, reference: str, photo_id: int
) -> Photo:
    photo = (
        Photo.objects.filter(
            pk=photo_id,
            request__reference=reference,
            request__in=visible_requests(membership=membership),
        )
        .only("image")
        .first()
    )
    if photo is None:
        raise Http404
    return photo


# -- bundle suggestions: jobs of one home or building that one visit can do ------------------

# The most open jobs read for one page's suggestions, whatever the buildings hold.
SUGGESTIONS_READ = 200


@dataclass(frozen=True)
class BundleSuggestion:
    """Another open job of the contractor in the row's home or building. With `visit_id`, one
    click combines: the job `rider_reference` rides along on that planned visit (at `when`);
    without, neither has a visit yet and one of them is planned first."""

    other: RepairRequest
    same_dwelling: bool
    rider_reference: str = ""
    visit_id: int | None = None
    when: datetime.datetime | None = None


def _address(dwelling: Dwelling) -> tuple:
    return (dwelling.organisation_id, dwelling.postcode, dwelling.house_number)


def bundle_suggestions(
    *, membership: ContractorMembership, rows: list[RepairRequest]
) -> dict[int, list[BundleSuggestion]]:
    """For the rows of one page (with dwelling and planned_appointments loaded, as work_queue
    gives them), the other open jobs of the contractor in the same dwelling or building (same
    association, postcode and house number: another suffix is a flat off the same staircase),
    by row id. One query for the page: the buildings' dwellings by their address index
    (dwelling_unique_address_per_org), their requests by request_dwelling_created, each
    with its planned visit."""
    now = timezone.now()
    candidates = [
        row
        for row in rows
        if row.status in PLANNABLE_STATUSES and row.contract_id and not row.is_urgent
    ]
    if not candidates:
        return {}
    addresses = {_address(row.dwelling) for row in candidates}
    place = reduce(
        operator.or_,
        (
            Q(organisation_id=organisation, postcode=postcode, house_number=number)
            for organisation, postcode, number in sorted(addresses)
        ),
    )
    planned = Appointment.objects.filter(
        request_id=OuterRef("pk"), status=AppointmentStatus.PLANNED
    ).order_by()
    others = list(
        RepairRequest.objects.filter(
            contractor_id=membership.contractor_id,
            status__in=sorted(PLANNABLE_STATUSES),
            contract__isnull=False,
            is_urgent=False,
            dwelling_id__in=Dwelling.objects.filter(place).values("pk"),
        )
        .annotate(
            visit_id=Subquery(planned.values("pk")[:1]),
            visit_host_id=Subquery(planned.values("shared_visit_id")[:1]),
            visit_starts_at=Subquery(planned.values("starts_at")[:1]),
            visit_ends_at=Subquery(planned.values("ends_at")[:1]),
        )
        .select_related("dwelling", "category")
        .order_by("created_at", "pk")[:SUGGESTIONS_READ]
    )
    by_address: dict[tuple, list[RepairRequest]] = {}
    for other in others:
        by_address.setdefault(_address(other.dwelling), []).append(other)
    suggestions: dict[int, list[BundleSuggestion]] = {}
    for row in candidates:
        visit = next(iter(getattr(row, "planned_appointments", [])), None)
        row_host = (visit.shared_visit_id or visit.pk) if visit is not None else None
        for other in by_address.get(_address(row.dwelling), []):
            if other.pk == row.pk:
                continue
            other_host = other.visit_host_id or other.visit_id
            if row_host is not None and row_host == other_host:
                continue  # combined already
            found = BundleSuggestion(
                other=other, same_dwelling=other.dwelling_id == row.dwelling_id
            )
            if other_host is not None and other.visit_ends_at > now:
                found = BundleSuggestion(
                    other=other,
                    same_dwelling=found.same_dwelling,
                    rider_reference=row.reference,
                    visit_id=other_host,
                    when=other.visit_starts_at,
                )
            elif row_host is not None and visit.ends_at > now:
                found = BundleSuggestion(
                    other=other,
                    same_dwelling=found.same_dwelling,
                    rider_reference=other.reference,
                    visit_id=row_host,
                    when=visit.starts_at,
                )
            suggestions.setdefault(row.pk, []).append(found)
    return suggestions
