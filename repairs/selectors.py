"""Scoped reads of repairs: what a tenant may see, the free slots of a request (for the
tenant, the planner and the periodic planning), what waits to be planned, and the reuse
register."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncQuarter
from django.http import Http404
from django.utils import timezone

from contractors.models import ContractorRole, Slot
from portal.models import Tenancy, User

from .lifecycle import EMERGENCY_AWAITS_CONTRACTOR, OPEN_STATUSES, WAITING_FOR_A_VISIT
from .models import (
    Appointment,
    AppointmentStatus,
    MaterialReuse,
    Photo,
    RepairCategory,
    RepairRequest,
    ReuseSource,
)

# A tenant chooses from the slots of the coming BOOKING_DAYS, a planner (and the periodic
# planning) from those of the coming PLAN_DAYS_AHEAD; an emergency is planned within
# EMERGENCY_WITHIN, and staff hear of one the contractor has not confirmed after
# EMERGENCY_CONFIRM_WITHIN.
BOOKING_DAYS = 14
PLAN_DAYS_AHEAD = 14
EMERGENCY_WITHIN = datetime.timedelta(hours=24)
EMERGENCY_CONFIRM_WITHIN = datetime.timedelta(hours=2)


def tenancies_current_for(*, user: User) -> QuerySet[Tenancy]:
    today = timezone.localdate()
    return (
        Tenancy.objects.filter(tenant=user, start_date__lte=today)
        .exclude(end_date__lt=today)
        .select_related("dwelling", "organisation")
        .order_by("-start_date")
    )


def tenancy_current_of(*, dwelling) -> Tenancy | None:
    """The dwelling's tenancy running today (the latest started), or None: vacant."""
    today = timezone.localdate()
    return (
        Tenancy.objects.filter(dwelling=dwelling, start_date__lte=today)
        .exclude(end_date__lt=today)
        .select_related("tenant")
        .order_by("-start_date", "-pk")
        .first()
    )


def tenancy_get_for_tenant(*, user: User, tenancy_id: int | None) -> Tenancy:
    """The current tenancy a report is for: the one asked for, or the only one."""
    tenancies = tenancies_current_for(user=user)
    if tenancy_id is not None:
        tenancy = tenancies.filter(pk=tenancy_id).first()
    else:
        tenancy = tenancies.first()
    if tenancy is None:
        raise Http404
    return tenancy


def repair_request_list_for_tenant(*, user: User) -> QuerySet[RepairRequest]:
    """Requests made under the user's tenancies, open ones first, newest first."""
    return (
        RepairRequest.objects.filter(tenancy__tenant=user)
        .select_related("category", "dwelling", "contractor")
        .prefetch_related(
            Prefetch(
                "appointments",
                queryset=Appointment.objects.filter(
                    status=AppointmentStatus.PLANNED
                ).select_related("slot__daypart"),
                to_attr="planned_appointments",
            )
        )
        .annotate(
            is_open=ExpressionWrapper(
                Q(status__in=list(OPEN_STATUSES)), output_field=BooleanField()
            )
        )
        .order_by(F("is_open").desc(), "-created_at")
    )


def repair_request_get_for_tenant(*, user: User, reference: str) -> RepairRequest:
    """One of the user's requests by reference; anyone else's answers 404, as a missing one."""
    repair_request = (
        RepairRequest.objects.filter(tenancy__tenant=user, reference=reference)
        .select_related("category", "dwelling", "contractor", "contract__area", "organisation")
        .prefetch_related(
            Prefetch("events", to_attr="timeline"),
            Prefetch(
                "appointments",
                queryset=Appointment.objects.select_related("slot__daypart").order_by("starts_at"),
                to_attr="all_appointments",
            ),
            Prefetch("photos", queryset=Photo.objects.order_by("pk"), to_attr="photo_list"),
        )
        .first()
    )
    if repair_request is None:
        raise Http404
    return repair_request


def photo_get_for_tenant(*, user: User, reference: str, photo_id: int) -> Photo:
    photo = (
        Photo.objects.filter(
            pk=photo_id, request__reference=reference, request__tenancy__tenant=user
        )
        .only("image")
        .first()
    )
    if photo is None:
        raise Http404
    return photo


def categories_for(*, organisation_id: int, query: str = "", room: str = "") -> QuerySet:
    categories = RepairCategory.objects.filter(organisation_id=organisation_id, is_active=True)
    if room:
        categories = categories.filter(room_code=room)
    for word in query.split()[:5]:
        categories = categories.filter(Q(name_nl__icontains=word) | Q(name_en__icontains=word))
    return categories.order_by("room_code", "name_nl")


def slots_free_for(
    *,
    repair_request: RepairRequest | None = None,
    contract=None,
    days: int | None = BOOKING_DAYS,
    from_now: bool = False,
    within: datetime.timedelta | None = None,
    keep_slot_id: int | None = None,
    now: datetime.datetime | None = None,
) -> QuerySet[Slot]:
    """Free slots of the routed contractor in the request's area, in time order.

    By default those from tomorrow for `days` days (what a tenant may book, and what the
    periodic planning plans into); with from_now, every slot not over yet, today's too (what
    a planner may plan); with `within`, only those starting within that time from now (an
    emergency); days=None sets no last day. keep_slot_id is listed too, full or not (the
    planned visit's own slot, so a craftsman can be assigned without moving it)."""
    contract = contract or repair_request.contract
    if contract is None:
        return Slot.objects.none()
    now = now or timezone.now()
    today = timezone.localdate(now)
    free = Q(booked__lt=F("capacity"))
    free &= Q(ends_at__gt=now) if from_now else Q(date__gt=today)
    if days is not None:
        free &= Q(date__lte=today + datetime.timedelta(days=days))
    if within is not None:
        free &= Q(starts_at__lte=now + within)
    if keep_slot_id is not None:
        free |= Q(pk=keep_slot_id)
    return (
        Slot.objects.filter(contractor_id=contract.contractor_id, area_id=contract.area_id)
        .filter(free)
        .select_related("daypart")
        .order_by("starts_at", "pk")
    )


# -- planning ------------------------------------------------------------------------------


def waiting_for_a_visit() -> Q:
    """Routed or follow-up, routed to a contract, and no visit planned: a predicate on the
    request itself, so a contractor's list of these reads request_contractor_waiting."""
    planned = Appointment.objects.filter(
        request_id=OuterRef("pk"), status=AppointmentStatus.PLANNED
    )
    return Q(status__in=WAITING_FOR_A_VISIT, contract__isnull=False) & ~Q(Exists(planned))


def requests_to_plan() -> QuerySet[RepairRequest]:
    """Open requests that wait for a visit (waiting_for_a_visit), of every contractor."""
    return RepairRequest.objects.filter(waiting_for_a_visit())


def repair_request_has_planned_visit(*, repair_request_id: int) -> bool:
    return Appointment.objects.filter(
        request_id=repair_request_id, status=AppointmentStatus.PLANNED
    ).exists()


def craftsmen_of(contractor_id: int) -> QuerySet[User]:
    return User.objects.filter(
        contractor_membership__contractor_id=contractor_id,
        contractor_membership__role=ContractorRole.CRAFTSMAN,
        is_active=True,
    ).order_by("first_name", "last_name")


def emergencies_unconfirmed(*, now: datetime.datetime) -> QuerySet[RepairRequest]:
    """Emergencies that no one at the contractor confirmed within EMERGENCY_CONFIRM_WITHIN
    and that staff have not been alerted about."""
    return RepairRequest.objects.filter(
        is_urgent=True,
        contractor_confirmed_at__isnull=True,
        emergency_alert_sent_at__isnull=True,
        created_at__lte=now - EMERGENCY_CONFIRM_WITHIN,
    ).filter(status__in=EMERGENCY_AWAITS_CONTRACTOR)


def past_latest_completion(*, now: datetime.datetime) -> Q:
    """Open and past the latest completion the contract's norm gives (RepairRequest.is_late):
    the planner's list "late", and the staff's filter and start-page count of the same."""
    return Q(status__in=sorted(OPEN_STATUSES), complete_due_at__isnull=False) & Q(
        complete_due_at__lt=now
    )


def emergency_unconfirmed(*, now: datetime.datetime) -> Q:
    """Emergencies still waiting for the contractor, unconfirmed EMERGENCY_CONFIRM_WITHIN
    after the report (whether or not staff were mailed): the staff's filter and count."""
    return Q(
        is_urgent=True,
        contractor_confirmed_at__isnull=True,
        status__in=EMERGENCY_AWAITS_CONTRACTOR,
        created_at__lte=now - EMERGENCY_CONFIRM_WITHIN,
    )


def requests_to_escalate(*, now: datetime.datetime) -> QuerySet[RepairRequest]:
    """Open requests past their latest completion, not yet escalated to staff (the index
    request_late_to_escalate holds exactly these, by deadline)."""
    return RepairRequest.objects.filter(
        status__in=sorted(OPEN_STATUSES),
        complete_due_at__isnull=False,
        escalated_to_staff_at__isnull=True,
        complete_due_at__lt=now,
    )


# -- the material-reuse register -------------------------------------------------------------

AMSTERDAM = ZoneInfo(settings.TIME_ZONE)


def reuse_register_rows(*, reuses: QuerySet[MaterialReuse]) -> list[dict]:
    """The reuse register of an already scoped queryset: per quarter (of the visit, in local
    time), contractor, area and source, the number of items, the quantity, the kilograms
    (quantities recorded in kg) and the value."""
    rows = (
        reuses.annotate(quarter=TruncQuarter("appointment__starts_at", tzinfo=AMSTERDAM))
        .values(
            "quarter",
            "contractor_id",
            "contractor__name",
            "appointment__request__contract__area_id",
            "appointment__request__contract__area__name",
            "source",
        )
        .annotate(
            items=Count("pk"),
            # before `quantity`, which names the sum from there on
            kg=Sum("quantity", filter=Q(unit="kg")),
            quantity=Sum("quantity"),
            value=Sum("estimated_value"),
        )
        .order_by(
            "-quarter",
            "contractor__name",
            "contractor_id",
            "appointment__request__contract__area__name",
            "appointment__request__contract__area_id",
            "source",
        )
    )
    labels = dict(ReuseSource.choices)
    return [
        {
            "quarter": f"{row['quarter'].year}-Q{(row['quarter'].month - 1) // 3 + 1}",
            "contractor": row["contractor__name"],
            "area": row["appointment__request__contract__area__name"],
            "source": labels.get(row["source"], row["source"]),
            "items": row["items"],
            # two decimals whatever the database hands back (SQLite: 2.5, 500)
            "quantity": _two_decimals(row["quantity"]),
            "value": _two_decimals(row["value"]),
            # for readers that combine the register with other figures (the area scorecard)
            "kg": _two_decimals(row["kg"]),
            "contractor_id": row["contractor_id"],
            "area_id": row["appointment__request__contract__area_id"],
            "source_code": row["source"],
        }
        for row in rows
    ]


def reuse_register_donors(*, reuses: QuerySet[MaterialReuse]) -> list[dict]:
    """The vacant dwellings that gave material, by VHE number: items taken and their value,
    and the latest vacant-home order (mutatie) on the dwelling, the work the material came
    out of (one more query for all donors)."""
    donors = [
        {**donor, "value": _two_decimals(donor["value"])}
        for donor in reuses.filter(source=ReuseSource.VACANT_DWELLING)
        .values(
            "source_dwelling_id",
            "source_dwelling__reference",
            "source_dwelling__street",
            "source_dwelling__house_number",
        )
        .annotate(items=Count("pk"), value=Sum("estimated_value"))
        .order_by("source_dwelling__reference")
    ]
    orders = {}
    for order in (
        ()
        if not donors
        else (
            RepairRequest.objects.filter(
                dwelling_id__in=[donor["source_dwelling_id"] for donor in donors],
                is_vacant_home=True,
            )
            .order_by("dwelling_id", "created_at", "pk")
            .values("pk", "reference", "dwelling_id")
        )
    ):
        orders[order["dwelling_id"]] = order  # the latest wins
    for donor in donors:
        order = orders.get(donor["source_dwelling_id"])
        donor["order_id"] = order["pk"] if order else None
        donor["order_reference"] = order["reference"] if order else ""
    return donors


def _two_decimals(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
