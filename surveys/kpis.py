"""KPI figures per month, contractor and area: `kpi_rows` computes them live from SQL
aggregates, `kpi_rollup_rows` reads the same table from the monthly rollup (KpiMonth, kept by
surveys.rollup), which is what the pages read.

Each figure belongs to the month in which the request was completed (Amsterdam time), so a
month's grades, first-time fixes and lead times describe the same requests. Repairs only:
orders of planned maintenance or a project (maintenance_kind) and their visits are left out.

- mean grade, share of 8+, share of 5 or lower: over the answers to those requests;
- response rate: answered invitations / sent invitations (sent, answered or expired);
- first-time-fix rate: completed at the first visit with access / completed;
- lead time: report to completion, median and 90th percentile (continuous percentile);
- emergencies within 24 hours: urgent requests completed within 24 h / urgent completed;
- within norm, emergencies and other repairs apart: completed by the request's latest
  completion (set from its contract's norm times when routed) / completed with one;
- repeat repairs: completed requests reported within 30 days of a completed request of the
  same dwelling and defect code (RepairRequest.repeat_of, set when reported) / completed;
  a request the tenant reopened counts against first-time fix (its flag is cleared);
- appointments kept: visits recorded as done before their daypart ended / visits that were
  due (done, or planned with the daypart over), by the month of the visit;
- no-access visits: visits recorded as “no access”, by the month of the visit.
"""

import datetime
import sys
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from itertools import chain
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import (
    Aggregate,
    Avg,
    Count,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
)
from django.db.models.functions import TruncMonth
from django.utils import timezone

from portal.scoping import OrganisationScope, filter_by_scope
from repairs.lifecycle import Status
from repairs.models import (
    Appointment,
    AppointmentStatus,
    MaintenanceKind,
    RepairRequest,
    VisitOutcome,
)

from .models import InvitationStatus, KpiMonth, SurveyInvitation

AMSTERDAM = ZoneInfo(settings.TIME_ZONE)

# Completed by the latest completion of the contract's norms (requests routed before norms
# existed have none, and count neither way).
WITHIN_NORM = Q(complete_due_at__isnull=False, completed_at__lte=F("complete_due_at"))


class DurationSeconds(Func):
    """Seconds between two timestamps, the same number on PostgreSQL and SQLite."""

    output_field = FloatField()
    arity = 2

    def as_postgresql(self, compiler, conn, **extra):
        return self.as_sql(
            compiler, conn, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - "
        )

    def as_sqlite(self, compiler, conn, **extra):
        return self.as_sql(
            compiler,
            conn,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
        )


class Percentile(Aggregate):
    """percentile_cont: PostgreSQL's own; on SQLite an aggregate registered on connect."""

    function = "percentile_cont"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        self.fraction = fraction
        super().__init__(expression, **extra)

    def as_postgresql(self, compiler, conn, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        filter_sql = ""
        if self.filter is not None:
            where, where_params = compiler.compile(self.filter)
            filter_sql = f" FILTER (WHERE {where})"
            params = (*params, *where_params)
        return (
            f"percentile_cont({float(self.fraction)}) WITHIN GROUP (ORDER BY {sql}){filter_sql}",
            params,
        )

    def as_sqlite(self, compiler, conn, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        if self.filter is not None:
            where, where_params = compiler.compile(self.filter)
            sql = f"CASE WHEN {where} THEN {sql} ELSE NULL END"
            params = (*where_params, *params)
        return f"kp_percentile({sql}, {float(self.fraction)})", params


class _SqlitePercentile:
    """Continuous percentile for SQLite, fed row by row by the database."""

    def __init__(self) -> None:
        self.values: list[float] = []
        self.fraction = 0.5

    def step(self, value, fraction) -> None:
        self.fraction = fraction
        if value is not None:
            self.values.append(float(value))

    def finalize(self):
        return percentile(sorted(self.values), self.fraction)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Continuous percentile of sorted values, as PostgreSQL's percentile_cont: position
    (n - 1) * fraction, interpolated between its two neighbours."""
    if not values:
        return None
    position = (len(values) - 1) * fraction
    lower = int(position)
    upper = min(lower + 1, len(values) - 1)
    return values[lower] + (values[upper] - values[lower]) * (position - lower)


def register_sqlite_functions(sender, connection, **kwargs) -> None:
    if connection.vendor == "sqlite":
        connection.connection.create_aggregate("kp_percentile", 2, _SqlitePercentile)


@dataclass
class KpiRow:
    month: datetime.date
    contractor_id: int
    contractor: str
    area_id: int
    area: str
    completed: int = 0
    first_time_fixes: int = 0
    lead_median_hours: float | None = None
    lead_p90_hours: float | None = None
    emergencies: int = 0
    emergencies_within_24h: int = 0
    responses: int = 0
    mean_grade: float | None = None
    grades_8_plus: int = 0
    grades_5_or_lower: int = 0
    invitations_sent: int = 0
    visits_due: int = 0
    visits_kept: int = 0
    no_access_visits: int = 0
    # Completed requests with a deadline from their contract's norms (repairs.norms), and
    # those completed by it; emergencies and other repairs apart.
    emergencies_with_norm: int = 0
    emergencies_within_norm: int = 0
    repairs_with_norm: int = 0
    repairs_within_norm: int = 0
    # Completed requests that repeat a repair of the same dwelling and defect code.
    repeat_repairs: int = 0
    # Set when the rows are per contract (kpi_rollup_rows(by_contract=True)).
    contract_id: int | None = None

    @staticmethod
    def _share(part: int, whole: int) -> Decimal | None:
        if not whole:
            return None
        return (Decimal(part) * 100 / Decimal(whole)).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def first_time_fix_rate(self) -> Decimal | None:
        return self._share(self.first_time_fixes, self.completed)

    @property
    def share_8_plus(self) -> Decimal | None:
        return self._share(self.grades_8_plus, self.responses)

    @property
    def share_5_or_lower(self) -> Decimal | None:
        return self._share(self.grades_5_or_lower, self.responses)

    @property
    def response_rate(self) -> Decimal | None:
        return self._share(self.responses, self.invitations_sent)

    @property
    def emergency_rate(self) -> Decimal | None:
        return self._share(self.emergencies_within_24h, self.emergencies)

    @property
    def emergency_norm_rate(self) -> Decimal | None:
        return self._share(self.emergencies_within_norm, self.emergencies_with_norm)

    @property
    def repair_norm_rate(self) -> Decimal | None:
        return self._share(self.repairs_within_norm, self.repairs_with_norm)

    @property
    def repeat_rate(self) -> Decimal | None:
        return self._share(self.repeat_repairs, self.completed)

    @property
    def kept_rate(self) -> Decimal | None:
        return self._share(self.visits_kept, self.visits_due)

    @property
    def mean_grade_rounded(self) -> Decimal | None:
        if self.mean_grade is None:
            return None
        return Decimal(str(self.mean_grade)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def kpi_rows(
    *,
    organisation_ids: OrganisationScope,
    start: datetime.date,
    end: datetime.date,
    contractor_id: int | None = None,
    area_id: int | None = None,
) -> list[KpiRow]:
    """The KPI table for months start..end (first days), for the associations in scope (ids,
    or ALL_ASSOCIATIONS for a superuser or a contractor's own figures across associations)."""
    tz_start = datetime.datetime.combine(start, datetime.time.min, tzinfo=AMSTERDAM)
    tz_end = datetime.datetime.combine(next_month(end), datetime.time.min, tzinfo=AMSTERDAM)

    def scoped(queryset: QuerySet, contractor="contractor_id", area="contract__area_id"):
        queryset = filter_by_scope(queryset, organisation_ids)
        if contractor_id:
            queryset = queryset.filter(**{contractor: contractor_id})
        if area_id:
            queryset = queryset.filter(**{area: area_id})
        return queryset

    rows: dict[tuple, KpiRow] = {}

    def row(month, contractor, contractor_name, area, area_name) -> KpiRow:
        month = (
            month.astimezone(AMSTERDAM).date() if isinstance(month, datetime.datetime) else month
        )
        key = (month, contractor, area)
        if key not in rows:
            rows[key] = KpiRow(month, contractor, contractor_name, area, area_name)
        return rows[key]

    lead = DurationSeconds(F("completed_at"), F("created_at"))
    requests = (
        scoped(
            RepairRequest.objects.filter(
                status=Status.COMPLETED,
                completed_at__gte=tz_start,
                completed_at__lt=tz_end,
                maintenance_kind=MaintenanceKind.REPAIR,
            )
        )
        .annotate(month=TruncMonth("completed_at", tzinfo=AMSTERDAM))
        .values(
            "month",
            "contractor_id",
            "contractor__name",
            "contract__area_id",
            "contract__area__name",
        )
        .annotate(
            completed=Count("pk"),
            ftf=Count("pk", filter=Q(first_time_fix=True)),
            median=Percentile(lead, 0.5),
            p90=Percentile(lead, 0.9),
            emergencies=Count("pk", filter=Q(is_urgent=True)),
            emergencies_in_time=Count(
                "pk",
                filter=Q(
                    is_urgent=True, completed_at__lte=F("created_at") + datetime.timedelta(hours=24)
                ),
            ),
            emergencies_norm=Count("pk", filter=Q(is_urgent=True, complete_due_at__isnull=False)),
            emergencies_in_norm=Count("pk", filter=WITHIN_NORM & Q(is_urgent=True)),
            repairs_norm=Count("pk", filter=Q(is_urgent=False, complete_due_at__isnull=False)),
            repairs_in_norm=Count("pk", filter=WITHIN_NORM & Q(is_urgent=False)),
            repeats=Count("pk", filter=Q(repeat_of__isnull=False)),
        )
        .order_by()
    )
    for item in requests:
        target = row(
            item["month"],
            item["contractor_id"],
            item["contractor__name"],
            item["contract__area_id"],
            item["contract__area__name"],
        )
        target.completed = item["completed"]
        target.first_time_fixes = item["ftf"]
        target.lead_median_hours = _hours(item["median"])
        target.lead_p90_hours = _hours(item["p90"])
        target.emergencies = item["emergencies"]
        target.emergencies_within_24h = item["emergencies_in_time"]
        target.emergencies_with_norm = item["emergencies_norm"]
        target.emergencies_within_norm = item["emergencies_in_norm"]
        target.repairs_with_norm = item["repairs_norm"]
        target.repairs_within_norm = item["repairs_in_norm"]
        target.repeat_repairs = item["repeats"]

    invitations = (
        scoped(
            SurveyInvitation.objects.filter(
                request__completed_at__gte=tz_start,
                request__completed_at__lt=tz_end,
                request__maintenance_kind=MaintenanceKind.REPAIR,
                status__in=[
                    InvitationStatus.SENT,
                    InvitationStatus.ANSWERED,
                    InvitationStatus.EXPIRED,
                ],
            ),
            area="area_id",
        )
        .annotate(month=TruncMonth("request__completed_at", tzinfo=AMSTERDAM))
        .values("month", "contractor_id", "contractor__name", "area_id", "area__name")
        .annotate(
            sent=Count("pk"),
            answered=Count("response"),
            mean=Avg("response__overall_grade"),
            high=Count("response", filter=Q(response__overall_grade__gte=8)),
            low=Count("response", filter=Q(response__overall_grade__lte=5)),
        )
        .order_by()
    )
    for item in invitations:
        target = row(
            item["month"],
            item["contractor_id"],
            item["contractor__name"],
            item["area_id"],
            item["area__name"],
        )
        target.invitations_sent = item["sent"]
        target.responses = item["answered"]
        target.mean_grade = item["mean"]
        target.grades_8_plus = item["high"]
        target.grades_5_or_lower = item["low"]

    now = timezone.now()
    visits = (
        scoped(
            Appointment.objects.filter(
                starts_at__gte=tz_start,
                starts_at__lt=tz_end,
                request__maintenance_kind=MaintenanceKind.REPAIR,
            ).filter(
                Q(status=AppointmentStatus.DONE)
                | Q(status=AppointmentStatus.PLANNED, ends_at__lt=now)
            ),
            area="request__contract__area_id",
        )
        .annotate(month=TruncMonth("starts_at", tzinfo=AMSTERDAM))
        .values(
            "month",
            "contractor_id",
            "contractor__name",
            "request__contract__area_id",
            "request__contract__area__name",
        )
        .annotate(
            due=Count("pk"),
            kept=Count(
                "pk",
                filter=Q(status=AppointmentStatus.DONE, recorded_at__lte=F("ends_at")),
            ),
            no_access=Count(
                "pk", filter=Q(status=AppointmentStatus.DONE, outcome=VisitOutcome.NO_ACCESS)
            ),
        )
        .order_by()
    )
    for item in visits:
        target = row(
            item["month"],
            item["contractor_id"],
            item["contractor__name"],
            item["request__contract__area_id"],
            item["request__contract__area__name"],
        )
        target.visits_due = item["due"]
        target.visits_kept = item["kept"]
        target.no_access_visits = item["no_access"]

    return sorted(rows.values(), key=lambda r: (r.month, r.contractor, r.area))


def pack_seconds(values: Iterable[float]) -> bytes:
    """Lead times as sorted float64, little-endian: 8 bytes each, exact."""
    data = array("d", sorted(values))
    if sys.byteorder == "big":
        data.byteswap()
    return data.tobytes()


def unpack_seconds(blob) -> array:
    data = array("d")
    data.frombytes(bytes(blob))
    if sys.byteorder == "big":
        data.byteswap()
    return data


# Additive parts of a rollup row: summed when rows are combined.
ROLLUP_SUMS = (
    "completed",
    "first_time_fixes",
    "emergencies",
    "emergencies_within_24h",
    "invitations_sent",
    "responses",
    "grade_sum",
    "grades_8_plus",
    "grades_5_or_lower",
    "visits_due",
    "visits_kept",
    "no_access_visits",
    "emergencies_with_norm",
    "emergencies_within_norm",
    "repairs_with_norm",
    "repairs_within_norm",
    "repeat_repairs",
)


def kpi_rollup_rows(
    *,
    organisation_ids: OrganisationScope,
    start: datetime.date,
    end: datetime.date,
    contractor_id: int | None = None,
    area_id: int | None = None,
    period: str = "month",
    by_contract: bool = False,
) -> list[KpiRow]:
    """The table of kpi_rows, read from the monthly rollup: one query over a few rows per
    month, plus one for the lead times of the cells that combine several contracts (a
    contract renewed within a month), whose percentiles are computed from the merged lists.

    `period` "quarter" or "year" combines the months of each quarter or year into one row
    (its `month` is the period's first day); `by_contract` gives a row per contract (with
    its `contract_id`) instead of per contractor and area (the area scorecard)."""
    months = KpiMonth.objects.filter(month__gte=start, month__lte=end)
    months = filter_by_scope(months, organisation_ids)
    if contractor_id:
        months = months.filter(contractor_id=contractor_id)
    if area_id:
        months = months.filter(area_id=area_id)
    cells: dict[tuple, list[dict]] = {}
    for item in months.values(
        "pk",
        "month",
        "contract_id",
        "contractor_id",
        "contractor__name",
        "area_id",
        "area__name",
        "lead_median_seconds",
        "lead_p90_seconds",
        *ROLLUP_SUMS,
    ).order_by():
        key = (period_start(item["month"], period), item["contractor_id"], item["area_id"])
        if by_contract:
            key = (*key, item["contract_id"])
        cells.setdefault(key, []).append(item)
    combined = [part["pk"] for parts in cells.values() if len(parts) > 1 for part in parts]
    lead_times = (
        dict(KpiMonth.objects.filter(pk__in=combined).values_list("pk", "lead_times"))
        if combined
        else {}
    )
    rows = []
    for (month, contractor, area, *contract), parts in cells.items():
        first = parts[0]
        row = KpiRow(month, contractor, first["contractor__name"], area, first["area__name"])
        row.contract_id = contract[0] if contract else None
        sums = {name: sum(part[name] for part in parts) for name in ROLLUP_SUMS}
        for name in ROLLUP_SUMS:
            if name != "grade_sum":
                setattr(row, name, sums[name])
        row.mean_grade = sums["grade_sum"] / sums["responses"] if sums["responses"] else None
        if len(parts) == 1:
            median, p90 = first["lead_median_seconds"], first["lead_p90_seconds"]
        else:
            values = sorted(
                chain.from_iterable(unpack_seconds(lead_times[part["pk"]]) for part in parts)
            )
            median, p90 = percentile(values, 0.5), percentile(values, 0.9)
        row.lead_median_hours = _hours(median)
        row.lead_p90_hours = _hours(p90)
        rows.append(row)
    return sorted(rows, key=lambda r: (r.month, r.contractor, r.area))


def period_start(month: datetime.date, period: str = "month") -> datetime.date:
    """The first day of the month, quarter or year the month belongs to."""
    if period == "year":
        return month.replace(month=1, day=1)
    if period == "quarter":
        return month.replace(month=3 * ((month.month - 1) // 3) + 1, day=1)
    return month


def next_month(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)


def months_back(today: datetime.date, count: int) -> tuple[datetime.date, datetime.date]:
    end = today.replace(day=1)
    start = end
    for _ in range(count - 1):
        start = (start - datetime.timedelta(days=1)).replace(day=1)
    return start, end


def visits_saved_rows(
    *,
    organisation_ids: OrganisationScope,
    start: datetime.date,
    end: datetime.date,
    contractor_id: int | None = None,
    area_id: int | None = None,
) -> list[dict]:
    """Visits saved by combining jobs, for months start..end (first days): the jobs booked
    to ride along on another job's visit (repairs Appointment.shared_visit), by the month
    they were booked (Amsterdam time), contractor and association. Each is one visit the
    tenant and the contractor did not need. Read by appointment_rider_created."""
    tz_start = datetime.datetime.combine(start, datetime.time.min, tzinfo=AMSTERDAM)
    tz_end = datetime.datetime.combine(next_month(end), datetime.time.min, tzinfo=AMSTERDAM)
    riders = filter_by_scope(
        Appointment.objects.filter(
            shared_visit__isnull=False, created_at__gte=tz_start, created_at__lt=tz_end
        ),
        organisation_ids,
    )
    if contractor_id:
        riders = riders.filter(contractor_id=contractor_id)
    if area_id:
        riders = riders.filter(request__contract__area_id=area_id)
    rows = (
        riders.annotate(month=TruncMonth("created_at", tzinfo=AMSTERDAM))
        .values(
            "month", "contractor_id", "contractor__name", "organisation_id", "organisation__name"
        )
        .annotate(saved=Count("pk"))
        .order_by("month", "contractor__name", "organisation__name")
    )
    return [
        {
            "month": row["month"].astimezone(AMSTERDAM).date()
            if isinstance(row["month"], datetime.datetime)
            else row["month"],
            "contractor_id": row["contractor_id"],
            "contractor": row["contractor__name"],
            "organisation_id": row["organisation_id"],
            "organisation": row["organisation__name"],
            "saved": row["saved"],
        }
        for row in rows
    ]
