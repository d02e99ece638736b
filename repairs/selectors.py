"""Scoped reads of repairs: what a tenant may see, and the slots they may book."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import TruncQuarter
from django.http import Http404
from django.utils import timezone

from contractors.models import Slot
from portal.models import Tenancy, User

from .lifecycle import OPEN_STATUSES
from .models import (
    Appointment,
    AppointmentStatus,
    MaterialReuse,
    Photo,
    RepairCategory,
    RepairRequest,
    ReuseSource,
)

BOOKING_DAYS = 14


def tenancies_current_for(*, user: User) -> QuerySet[Tenancy]:
    today = timezone.localdate()
    return (
        Tenancy.objects.filter(tenant=user, start_date__lte=today)
        .exclude(end_date__lt=today)
        .select_related("dwelling", "organisation")
        .order_by("-start_date")
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
    *, repair_request: RepairRequest | None = None, contract=None, days: int = BOOKING_DAYS
) -> QuerySet[Slot]:
    """Free slots of the routed contractor in the request's area, from tomorrow for `days`."""
    contract = contract or repair_request.contract
    if contract is None:
        return Slot.objects.none()
    today = timezone.localdate()
    return (
        Slot.objects.filter(
            contractor_id=contract.contractor_id,
            area_id=contract.area_id,
            date__gt=today,
            date__lte=today + datetime.timedelta(days=days),
            booked__lt=F("capacity"),
        )
        .select_related("daypart")
        .order_by("starts_at")
    )


# -- the material-reuse register -------------------------------------------------------------

AMSTERDAM = ZoneInfo(settings.TIME_ZONE)


def reuse_register_rows(*, reuses: QuerySet[MaterialReuse]) -> list[dict]:
    """The reuse register of an already scoped queryset: per quarter (of the visit, in local
    time), contractor, area and source, the number of items, the quantity and the value."""
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
        .annotate(items=Count("pk"), quantity=Sum("quantity"), value=Sum("estimated_value"))
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
        }
        for row in rows
    ]


def reuse_register_donors(*, reuses: QuerySet[MaterialReuse]) -> list[dict]:
    """The vacant dwellings that gave material, by VHE number: items taken and their value."""
    return [
        {**donor, "value": _two_decimals(donor["value"])}
        for donor in reuses.filter(source=ReuseSource.VACANT_DWELLING)
        .values(
            "source_dwelling__reference",
            "source_dwelling__street",
            "source_dwelling__house_number",
        )
        .annotate(items=Count("pk"), value=Sum("estimated_value"))
        .order_by("source_dwelling__reference")
    ]


def _two_decimals(value) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))
