"""The monthly KPI rollup (KpiMonth): one row per association, contract and month, computed
with the definitions of the live figures in kpis.py and read by the dashboard, its CSV,
the contractor's own figures and the area scorecard. Repairs only: orders of planned
maintenance or a project (RepairRequest.maintenance_kind) and their visits are left out.

Kept current by the periodic task `kpi_rollup_refresh`: every run computes again the
current and the previous month (a request completes, a visit is recorded, a daypart ends,
an invitation goes out) and every month a survey change marked stale; a nightly run goes
back 13 months, which catches a visit recorded long after its day. `manage.py
kpi_rollup_rebuild` computes every month.

A month is computed under a lock on that month (a PostgreSQL advisory lock, taken before
reading), so two refreshes of one month run one after the other and the later one reads
all that the earlier one read: a refresh is idempotent and safe to run concurrently."""

import datetime
from collections import defaultdict
from collections.abc import Iterable
from contextlib import contextmanager

from django.db import connections, router, transaction
from django.db.models import (
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Min,
    Q,
)
from django.utils import timezone

from contractors.models import Contract
from portal.scoping import ALL_ASSOCIATIONS, OrganisationScope, filter_by_scope
from repairs.lifecycle import Status
from repairs.models import (
    Appointment,
    AppointmentStatus,
    MaintenanceKind,
    RepairRequest,
    VisitOutcome,
)

from .kpis import (
    AMSTERDAM,
    ROLLUP_SUMS,
    WITHIN_NORM,
    DurationSeconds,
    next_month,
    pack_seconds,
    percentile,
)
from .models import (
    InvitationStatus,
    KpiMonth,
    KpiMonthStale,
)

# The advisory lock space of this rollup (the second key is the month as yyyymm).
LOCK_SPACE = 0x4B504D  # "KPM"
# Months the ten-minute run computes again, counting the current one.
RECENT_MONTHS = 2
SENT_STATUSES = [InvitationStatus.SENT, InvitationStatus.ANSWERED, InvitationStatus.EXPIRED]


def month_of(moment: datetime.datetime) -> datetime.date:
    """The first day of the month a moment falls in, in Amsterdam."""
    return moment.astimezone(AMSTERDAM).date().replace(day=1)


def previous_month(month: datetime.date) -> datetime.date:
    return (month - datetime.timedelta(days=1)).replace(day=1)


def kpi_months_mark_stale(*, organisation_id: int, completed: Iterable[datetime.datetime]) -> None:
    """Mark the months of these completion moments for the next refresh; call it in the
    transaction of the change, so a refresh that has run before the commit is followed by
    one that sees it."""
    months = {month_of(moment) for moment in completed if moment is not None}
    KpiMonthStale.objects.bulk_create(
        [KpiMonthStale(organisation_id=organisation_id, month=month) for month in sorted(months)]
    )


@contextmanager
def _month_locked(month: datetime.date, using: str):
    """Wait for any refresh of this month to commit, and hold the month until this
    transaction ends. On PostgreSQL the month's rows are also joined to their requests,
    invitations and answers by index meanwhile: left to itself the planner hashes the whole
    request and invitation tables, which grow with the years, for a month of a few ten
    thousand rows. The planner settings are put back before the transaction goes on."""
    connection = connections[using]
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s::integer, %s::integer),"
            " current_setting('enable_hashjoin'), current_setting('enable_mergejoin')",
            [LOCK_SPACE, month.year * 100 + month.month],
        )
        _locked, hashjoin, mergejoin = cursor.fetchone()
        cursor.execute(
            "SELECT set_config('enable_hashjoin', 'off', true),"
            " set_config('enable_mergejoin', 'off', true)"
        )
    yield
    # Only after success: a failure rolls the transaction (or savepoint) back, and the
    # settings with it.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('enable_hashjoin', %s, true),"
            " set_config('enable_mergejoin', %s, true)",
            [hashjoin, mergejoin],
        )


def _database() -> str:
    """Where the rollup is written; it is computed there too, never from a replica that may
    lag behind the month it holds the lock of."""
    return router.db_for_write(KpiMonth)


def _parts() -> dict:
    return {"leads": [], **dict.fromkeys(ROLLUP_SUMS, 0)}


def kpi_month_refresh(
    *,
    month: datetime.date,
    organisation_ids: OrganisationScope,
    now: datetime.datetime | None = None,
    stale_ids: Iterable[int] = (),
) -> int:
    """Compute the rows of one month again (for these associations, or ALL_ASSOCIATIONS) and
    replace the stored ones; the stale marks `stale_ids` go in the same transaction. Returns
    the number of rows written."""
    now = now or timezone.now()
    db = _database()
    month = month.replace(day=1)
    start = datetime.datetime.combine(month, datetime.time.min, tzinfo=AMSTERDAM)
    end = datetime.datetime.combine(next_month(month), datetime.time.min, tzinfo=AMSTERDAM)

    def scoped(queryset):
        return filter_by_scope(queryset, organisation_ids)

    with transaction.atomic(using=db), _month_locked(month, db):
        parts: dict[tuple[int, int], dict] = defaultdict(_parts)

        # The month's requests by their completion, each with its invitation and answer.
        requests = scoped(
            RepairRequest.objects.using(db).filter(
                completed_at__gte=start,
                completed_at__lt=end,
                contract__isnull=False,
                maintenance_kind=MaintenanceKind.REPAIR,
            )
        ).annotate(
            lead=DurationSeconds(F("completed_at"), F("created_at")),
            in_time=ExpressionWrapper(
                Q(is_urgent=True, completed_at__lte=F("created_at") + datetime.timedelta(hours=24)),
                output_field=BooleanField(),
            ),
            has_norm=ExpressionWrapper(
                Q(complete_due_at__isnull=False), output_field=BooleanField()
            ),
            in_norm=ExpressionWrapper(WITHIN_NORM, output_field=BooleanField()),
            repeat=ExpressionWrapper(Q(repeat_of__isnull=False), output_field=BooleanField()),
            invitation_status=F("survey_invitation__status"),
            grade=F("survey_invitation__response__overall_grade"),
        )
        for (
            organisation_id,
            contract_id,
            status,
            first_time_fix,
            urgent,
            lead,
            in_time,
            has_norm,
            in_norm,
            repeat,
            invitation_status,
            grade,
        ) in requests.values_list(
            "organisation_id",
            "contract_id",
            "status",
            "first_time_fix",
            "is_urgent",
            "lead",
            "in_time",
            "has_norm",
            "in_norm",
            "repeat",
            "invitation_status",
            "grade",
        ).order_by():
            if status == Status.COMPLETED:
                target = parts[(organisation_id, contract_id)]
                target["completed"] += 1
                target["first_time_fixes"] += first_time_fix is True
                target["emergencies"] += bool(urgent)
                target["emergencies_within_24h"] += bool(urgent and in_time)
                norm = "emergencies" if urgent else "repairs"
                target[f"{norm}_with_norm"] += bool(has_norm)
                target[f"{norm}_within_norm"] += bool(has_norm and in_norm)
                target["repeat_repairs"] += bool(repeat)
                if lead is not None:
                    target["leads"].append(lead)
            if invitation_status in SENT_STATUSES:
                target = parts[(organisation_id, contract_id)]
                target["invitations_sent"] += 1
                if grade is not None:
                    target["responses"] += 1
                    target["grade_sum"] += grade
                    target["grades_8_plus"] += grade >= 8
                    target["grades_5_or_lower"] += grade <= 5

        # Visits by the month of the visit, with the contract of their request.
        visits = (
            scoped(
                Appointment.objects.using(db)
                .filter(
                    starts_at__gte=start,
                    starts_at__lt=end,
                    request__maintenance_kind=MaintenanceKind.REPAIR,
                )
                .filter(
                    Q(status=AppointmentStatus.DONE)
                    | Q(status=AppointmentStatus.PLANNED, ends_at__lt=now)
                )
            )
            .annotate(contract_id=F("request__contract_id"))
            .values("organisation_id", "contract_id")
            .annotate(
                due=Count("pk"),
                kept=Count(
                    "pk", filter=Q(status=AppointmentStatus.DONE, recorded_at__lte=F("ends_at"))
                ),
                no_access=Count(
                    "pk",
                    filter=Q(status=AppointmentStatus.DONE, outcome=VisitOutcome.NO_ACCESS),
                ),
            )
            .order_by()
        )
        for item in visits:
            if item["contract_id"] is None:
                continue
            target = parts[(item["organisation_id"], item["contract_id"])]
            target["visits_due"] = item["due"]
            target["visits_kept"] = item["kept"]
            target["no_access_visits"] = item["no_access"]

        contracts = {
            pk: (contractor_id, area_id)
            for pk, contractor_id, area_id in Contract.objects.using(db)
            .filter(pk__in={contract_id for _organisation, contract_id in parts})
            .values_list("pk", "contractor_id", "area_id")
        }
        rows = []
        for (organisation_id, contract_id), figures in sorted(parts.items()):
            leads = sorted(figures.pop("leads"))
            contractor_id, area_id = contracts[contract_id]
            rows.append(
                KpiMonth(
                    organisation_id=organisation_id,
                    contract_id=contract_id,
                    contractor_id=contractor_id,
                    area_id=area_id,
                    month=month,
                    lead_times=pack_seconds(leads),
                    lead_median_seconds=percentile(leads, 0.5),
                    lead_p90_seconds=percentile(leads, 0.9),
                    refreshed_at=now,
                    **figures,
                )
            )
        scoped(KpiMonth.objects.using(db).filter(month=month)).delete()
        KpiMonth.objects.using(db).bulk_create(rows)
        stale_ids = list(stale_ids)
        if stale_ids:
            KpiMonthStale.objects.using(db).filter(pk__in=stale_ids).delete()
    return len(rows)


def kpi_rollup_refresh(
    *, now: datetime.datetime | None = None, recent_months: int = RECENT_MONTHS
) -> dict:
    """The periodic refresh: the last `recent_months` months for every association, and
    every month marked stale for the associations marked. Returns what it did."""
    now = now or timezone.now()
    month = month_of(now)
    plan: dict[datetime.date, OrganisationScope] = {}
    for _ in range(recent_months):
        plan[month] = ALL_ASSOCIATIONS
        month = previous_month(month)
    stale: dict[datetime.date, list[int]] = defaultdict(list)
    for pk, organisation_id, stale_month in KpiMonthStale.objects.using(_database()).values_list(
        "pk", "organisation_id", "month"
    ):
        stale[stale_month].append(pk)
        if plan.get(stale_month) is not ALL_ASSOCIATIONS:
            plan.setdefault(stale_month, set()).add(organisation_id)
    rows = 0
    for month in sorted(plan):
        rows += kpi_month_refresh(
            month=month, organisation_ids=plan[month], now=now, stale_ids=stale[month]
        )
    return {"months": len(plan), "rows": rows}


def kpi_rollup_rebuild(*, since: datetime.date | None = None) -> dict:
    """Compute every month from `since` (None: the first month with data) up to now."""
    now = timezone.now()
    db = _database()
    if since is None:
        firsts = [
            RepairRequest.objects.using(db)
            .filter(status=Status.COMPLETED)
            .aggregate(first=Min("completed_at"))["first"],
            Appointment.objects.using(db)
            .filter(status__in=[AppointmentStatus.DONE, AppointmentStatus.PLANNED])
            .aggregate(first=Min("starts_at"))["first"],
        ]
        firsts = [moment for moment in firsts if moment is not None]
        if not firsts:
            KpiMonth.objects.using(db).all().delete()
            return {"months": 0, "rows": 0}
        since = month_of(min(firsts))
        KpiMonth.objects.using(db).filter(month__lt=since).delete()
    month, last, months, rows = since.replace(day=1), month_of(now), 0, 0
    while month <= last:
        rows += kpi_month_refresh(month=month, organisation_ids=ALL_ASSOCIATIONS, now=now)
        months += 1
        month = next_month(month)
    return {"months": months, "rows": rows}
