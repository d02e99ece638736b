"""The area scorecard: per contract (contractor × area) and per quarter or year, the figures
the fixed fee per dwelling is accounted for by, each against the target staff set on the
contract, with its trend.

Every figure comes from the selectors the KPI dashboard and the registers read, never
computed a second way:

- tenant grade, grades of 5 or lower, response rate, first-time fix, within norm
  (emergencies and other repairs apart), lead time p50 / p90, appointments kept and repeat
  repairs: `kpis.kpi_rollup_rows(period=..., by_contract=True)` (the monthly rollup; repairs
  only, planned maintenance and project orders are left out there);
- SROI delivered against the pledge, and the fee: `contractors.sroi.ledger` (whose fees are
  `contractors.fees.contracts_fee_lines`);
- reused material, items and kilograms, from vacant homes and from repairs (the same
  dwelling or the depot): `repairs.selectors.reuse_register_rows`.

All contracts of a period are computed together: the number of queries depends on the
number of periods of the trend (TREND_QUARTERS or TREND_YEARS), not on the contracts.

Status against a target: green when the figure meets it; amber when it misses by no more
than the figure's margin (AMBER_MARGINS: 5 percentage points for a share, half a point for
the grade, 10 % of the target for a lead time, 10 points of the pledge for SROI); red
otherwise; "none" without a target or without a figure. The trend compares the figure
with the period before as shown (rounded): up, down or flat, and whether that is better.
"""

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from contractors.fees import period_bounds
from contractors.models import Contract, PeriodKind
from contractors.sroi import ledgers
from portal.scoping import OrganisationScope, filter_by_scope
from repairs.models import MaterialReuse, ReuseSource
from repairs.selectors import AMSTERDAM, reuse_register_rows

from .kpis import KpiRow, kpi_rollup_rows

# Periods in a figure's trend line, the shown one last.
TREND_QUARTERS = 8
TREND_YEARS = 4

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class FigureSpec:
    key: str
    label: str
    kind: str  # grade, percent, hours, count, kg, money
    higher_is_better: bool | None  # None: neither (the fee)
    target_field: str | None = None


SPECS: tuple[FigureSpec, ...] = (
    FigureSpec("mean_grade", _("Tenant grade (mean)"), "grade", True, "target_mean_grade"),
    FigureSpec(
        "low_grades", _("Grades of 5 or lower"), "percent", False, "target_low_grades_percent"
    ),
    FigureSpec(
        "response_rate", _("Survey response rate"), "percent", True, "target_response_rate_percent"
    ),
    FigureSpec(
        "first_time_fix", _("First-time fix"), "percent", True, "target_first_time_fix_percent"
    ),
    FigureSpec(
        "emergency_within_norm",
        _("Emergencies within norm"),
        "percent",
        True,
        "target_emergency_within_norm_percent",
    ),
    FigureSpec(
        "repair_within_norm",
        _("Other repairs within norm"),
        "percent",
        True,
        "target_repair_within_norm_percent",
    ),
    FigureSpec("lead_time_p50", _("Lead time, median"), "hours", False),
    FigureSpec(
        "lead_time_p90",
        _("Lead time, 90th percentile"),
        "hours",
        False,
        "target_lead_time_p90_hours",
    ),
    FigureSpec(
        "appointments_kept",
        _("Appointments kept"),
        "percent",
        True,
        "target_appointments_kept_percent",
    ),
    FigureSpec(
        "repeat_repairs", _("Repeat repairs"), "percent", False, "target_repeat_repairs_percent"
    ),
    FigureSpec("sroi", _("SROI delivered of the pledge"), "percent", True),
    FigureSpec("reuse_vacant_items", _("Reused from vacant homes (items)"), "count", True),
    FigureSpec("reuse_vacant_kg", _("Reused from vacant homes (kg)"), "kg", True),
    FigureSpec("reuse_repair_items", _("Reused at repairs (items)"), "count", True),
    FigureSpec("reuse_repair_kg", _("Reused at repairs (kg)"), "kg", True),
    FigureSpec("fee", _("Fee paid"), "money", None),
)

# How far a figure may miss its target and still be amber, by kind of figure.
AMBER_MARGINS = {
    "grade": Decimal("0.5"),
    "percent": Decimal("5"),
}
HOURS_MARGIN_SHARE = Decimal("0.10")
SROI_MARGIN = Decimal("10")

STATUS_TEXTS = {
    "green": _("On target"),
    "amber": _("Just off target"),
    "red": _("Off target"),
    "none": _("No target"),
}

DECIMALS = {"grade": 1, "percent": 1, "hours": 1, "count": 0, "kg": 1, "money": 2}


@dataclass
class Figure:
    key: str
    label: str
    value: Decimal | None
    display: str
    target: Decimal | None
    status: str  # green | amber | red | none
    trend: str | None  # up | down | flat | None
    better: bool | None
    target_display: str = ""
    detail: str = ""
    # (period label, value) for the trend line, oldest first, the shown period last
    series: list[tuple[str, Decimal | None]] = field(default_factory=list)
    kind: str = "count"

    @property
    def status_text(self) -> str:
        if self.status == "none" and self.target is not None:
            return str(_("No figures yet"))
        return str(STATUS_TEXTS[self.status])

    @property
    def trend_text(self) -> str:
        if self.trend is None or len(self.series) < 2:
            return ""
        previous = self.series[-2][0]
        if self.trend == "flat":
            return _("→ the same as %(period)s") % {"period": previous}
        arrow = "↑" if self.trend == "up" else "↓"
        if self.better is None:
            words = (
                _("higher than %(period)s") if self.trend == "up" else _("lower than %(period)s")
            )
        elif self.better:
            words = _("better than %(period)s")
        else:
            words = _("worse than %(period)s")
        return f"{arrow} " + words % {"period": previous}

    @property
    def series_display(self) -> list[tuple[str, str]]:
        return [(label, format_value(self.kind, value)) for label, value in self.series]

    @property
    def spark_points(self) -> str:
        """The trend line's points in a 100 × 24 box (periods without a figure left out)."""
        known = [(i, value) for i, (_label, value) in enumerate(self.series) if value is not None]
        if len(known) < 2:
            return ""
        low = min(value for _i, value in known)
        high = max(value for _i, value in known)
        span = (high - low) or Decimal(1)
        step = 100 / (len(self.series) - 1)
        return " ".join(
            f"{i * step:.1f},{22 - float((value - low) / span) * 20:.1f}" for i, value in known
        )

    @property
    def spark_label(self) -> str:
        return _("%(figure)s over the last periods: %(values)s") % {
            "figure": self.label,
            "values": "; ".join(f"{label} {display}" for label, display in self.series_display),
        }


@dataclass
class ContractScorecard:
    contract: Contract
    period_label: str
    figures: list[Figure]
    year: int
    quarter: int | None

    def figure(self, key: str) -> Figure:
        return next(figure for figure in self.figures if figure.key == key)


@dataclass(frozen=True)
class Period:
    start: datetime.date
    end: datetime.date
    year: int
    quarter: int | None

    @property
    def label(self) -> str:
        return f"{self.year} Q{self.quarter}" if self.quarter else str(self.year)


def period_of(year: int, quarter: int | None) -> Period:
    if quarter:
        start, end = period_bounds(PeriodKind.QUARTER, datetime.date(year, 3 * quarter - 2, 1))
        return Period(start, end, year, quarter)
    return Period(datetime.date(year, 1, 1), datetime.date(year, 12, 31), year, None)


def trend_periods(year: int, quarter: int | None) -> list[Period]:
    """The periods of the trend line, oldest first, ending with the one asked for."""
    periods = []
    if quarter:
        index = year * 4 + quarter - 1
        for back in range(TREND_QUARTERS - 1, -1, -1):
            at = index - back
            periods.append(period_of(at // 4, at % 4 + 1))
    else:
        periods = [period_of(year - back, None) for back in range(TREND_YEARS - 1, -1, -1)]
    return periods


def current_period(today: datetime.date) -> tuple[int, int]:
    return today.year, (today.month - 1) // 3 + 1


def _q(value, places: int) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def _kpi_values(row: KpiRow | None) -> dict[str, Decimal | None]:
    if row is None:
        row = KpiRow(datetime.date.min, 0, "", 0, "")
    return {
        "mean_grade": _q(row.mean_grade, 1),
        "low_grades": row.share_5_or_lower,
        "response_rate": row.response_rate,
        "first_time_fix": row.first_time_fix_rate,
        "emergency_within_norm": row.emergency_norm_rate,
        "repair_within_norm": row.repair_norm_rate,
        "lead_time_p50": _q(row.lead_median_hours, 1),
        "lead_time_p90": _q(row.lead_p90_hours, 1),
        "appointments_kept": row.kept_rate,
        "repeat_repairs": row.repeat_rate,
    }


def format_value(kind: str, value: Decimal | None) -> str:
    if value is None:
        return "–"
    number = formats.number_format(value, DECIMALS[kind], use_l10n=True, force_grouping=True)
    if kind == "percent":
        return f"{number} %"
    if kind == "hours":
        return f"{number} h"
    if kind == "kg":
        return f"{number} kg"
    if kind == "money":
        return f"€ {number}"
    return number


def judge(spec: FigureSpec, value: Decimal | None, target: Decimal | None) -> str:
    """green, amber or red against the target (see the module's note), or none."""
    if value is None or target is None or spec.higher_is_better is None:
        return "none"
    if spec.key == "sroi":
        margin = SROI_MARGIN
    elif spec.kind == "hours":
        margin = target * HOURS_MARGIN_SHARE
    else:
        margin = AMBER_MARGINS.get(spec.kind, Decimal(0))
    miss = target - value if spec.higher_is_better else value - target
    if miss <= 0:
        return "green"
    if miss <= margin:
        return "amber"
    return "red"


def compare(
    spec: FigureSpec, value: Decimal | None, previous: Decimal | None
) -> tuple[str | None, bool | None]:
    """The trend against the period before, and whether it is better (None: neither)."""
    if value is None or previous is None:
        return None, None
    if value == previous:
        return "flat", None
    trend = "up" if value > previous else "down"
    if spec.higher_is_better is None:
        return trend, None
    return trend, (trend == "up") == spec.higher_is_better


def contract_scorecards(
    *,
    organisation_ids: OrganisationScope,
    year: int,
    quarter: int | None,
    contractor_id: int | None = None,
    contract_ids: list[int] | None = None,
) -> list[ContractScorecard]:
    """The scorecards of the contracts that run in the quarter (or year) in the associations
    in scope (ids, or ALL_ASSOCIATIONS with a contractor_id for a contractor's own), in
    association, contractor and area order."""
    periods = trend_periods(year, quarter)
    shown = periods[-1]
    contracts = (
        Contract.objects.filter(valid_from__lte=shown.end)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=shown.start))
        .select_related("contractor", "area", "organisation")
        .order_by("organisation__name", "contractor__name", "area__name", "valid_from")
    )
    contracts = filter_by_scope(contracts, organisation_ids)
    if contractor_id:
        contracts = contracts.filter(contractor_id=contractor_id)
    if contract_ids is not None:
        contracts = contracts.filter(pk__in=contract_ids)
    contracts = list(contracts)
    if not contracts:
        return []

    # values[contract id][period start][figure key]
    values: dict[int, dict[datetime.date, dict]] = defaultdict(lambda: defaultdict(dict))
    period_kind = "quarter" if quarter else "year"

    kpi_rows = kpi_rollup_rows(
        organisation_ids=organisation_ids,
        start=periods[0].start,
        end=shown.end.replace(day=1),
        contractor_id=contractor_id,
        period=period_kind,
        by_contract=True,
    )
    by_cell = {(row.contract_id, row.month): row for row in kpi_rows}
    wanted = {contract.pk for contract in contracts}
    for contract in contracts:
        for period in periods:
            values[contract.pk][period.start].update(
                _kpi_values(by_cell.get((contract.pk, period.start)))
            )

    # Reused material by the contract's contractor and area, per quarter of the visit.
    by_pair = {(contract.contractor_id, contract.area_id): contract.pk for contract in contracts}
    reuses = MaterialReuse.objects.filter(
        appointment__starts_at__gte=datetime.datetime.combine(
            periods[0].start, datetime.time.min, tzinfo=AMSTERDAM
        ),
        appointment__starts_at__lt=datetime.datetime.combine(
            shown.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=AMSTERDAM
        ),
    )
    reuses = filter_by_scope(reuses, organisation_ids)
    if contractor_id:
        reuses = reuses.filter(contractor_id=contractor_id)
    for contract_pk in wanted:
        for period in periods:
            values[contract_pk][period.start].update(
                reuse_vacant_items=Decimal(0),
                reuse_vacant_kg=Decimal(0),
                reuse_repair_items=Decimal(0),
                reuse_repair_kg=Decimal(0),
            )
    for row in reuse_register_rows(reuses=reuses):
        contract_pk = by_pair.get((row["contractor_id"], row["area_id"]))
        if contract_pk is None:
            continue
        row_year, row_quarter = row["quarter"].split("-Q")
        start = period_of(int(row_year), int(row_quarter) if quarter else None).start
        cell = values[contract_pk].get(start)
        if cell is None:
            continue
        origin = "vacant" if row["source_code"] == ReuseSource.VACANT_DWELLING else "repair"
        cell[f"reuse_{origin}_items"] += row["items"]
        cell[f"reuse_{origin}_kg"] += row["kg"]

    # SROI and the fee: the ledger of each period, the fees of all of them from one
    # aggregate over the dwellings (contractors.sroi.ledgers).
    period_ledgers = ledgers(
        organisation_ids=organisation_ids,
        periods=[(period.year, period.quarter) for period in periods],
        contractor_id=contractor_id,
    )
    for period, period_ledger in zip(periods, period_ledgers, strict=True):
        for line in period_ledger:
            if line.contract.pk not in wanted:
                continue
            cell = values[line.contract.pk][period.start]
            cell["fee"] = line.fees
            cell["sroi"] = line.progress if line.pledge else None
            cell["sroi_detail"] = (line.contributed, line.pledge)

    cards = []
    for contract in contracts:
        figures = []
        for spec in SPECS:
            series = [(p.label, values[contract.pk][p.start].get(spec.key)) for p in periods]
            value = series[-1][1]
            previous = series[-2][1] if len(series) > 1 else None
            target = _target(contract, spec)
            trend, better = compare(spec, value, previous)
            detail = ""
            if spec.key == "sroi":
                contributed, pledge = values[contract.pk][shown.start].get(
                    "sroi_detail", (None, None)
                )
                if pledge:
                    detail = _("%(contributed)s of %(pledge)s pledged") % {
                        "contributed": format_value("money", contributed),
                        "pledge": format_value("money", pledge),
                    }
            figures.append(
                Figure(
                    key=spec.key,
                    label=str(spec.label),
                    value=value,
                    display=format_value(spec.kind, value),
                    target=target,
                    status=judge(spec, value, target),
                    trend=trend,
                    better=better,
                    target_display=_target_display(spec, target),
                    detail=detail,
                    series=series,
                    kind=spec.kind,
                )
            )
        cards.append(
            ContractScorecard(
                contract=contract,
                period_label=shown.label,
                figures=figures,
                year=year,
                quarter=quarter,
            )
        )
    return cards


def _target(contract: Contract, spec: FigureSpec) -> Decimal | None:
    if spec.key == "sroi":
        return HUNDRED if contract.sroi_pledge_percent else None
    if spec.target_field is None:
        return None
    target = getattr(contract, spec.target_field)
    return None if target is None else Decimal(target)


def _target_display(spec: FigureSpec, target: Decimal | None) -> str:
    if target is None:
        return ""
    shown = format_value(spec.kind, target)
    if spec.key == "sroi":
        return str(_("the pledge"))
    if spec.higher_is_better:
        return f"≥ {shown}"
    return f"≤ {shown}"
