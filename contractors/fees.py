"""Fees: what each contract earns in a period, computed in the database.

The fee of a period is, per contract, the sum over the dwellings of its area of
fee × days the dwelling was in the portfolio (and under the contract) in the period / days
in the year. A dwelling's fee follows its type per day (DwellingTypePeriod). Money is Decimal;
each contract line is rounded to the cent, half up; the total is the sum of the lines.
"""

import calendar
import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    F,
    FilteredRelation,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Greatest, Least
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.errors import ApplicationError
from portal.models import Dwelling, Organisation, User

from .models import (
    Contract,
    ContractTypeFee,
    FeeStatement,
    FeeStatementLine,
    PeriodKind,
)
from .services import dwelling_areas_fill_missing

CENT = Decimal("0.01")
ROUNDING_RULE = gettext_lazy("per contract line, to the cent, half up")


class DaysBetween(Func):
    """Whole days from start to end (end − start), on PostgreSQL and SQLite alike."""

    output_field = IntegerField()
    arity = 2

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="((%(expressions)s))::integer", arg_joiner=" - "
        )

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="CAST(julianday(%(expressions)s) AS INTEGER)",
            arg_joiner=") - julianday(",
        )


def period_bounds(kind: str, day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The month, quarter or year that holds the day."""
    if kind == PeriodKind.MONTH:
        start = day.replace(day=1)
        end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    elif kind == PeriodKind.QUARTER:
        first = 3 * ((day.month - 1) // 3) + 1
        start = datetime.date(day.year, first, 1)
        end = datetime.date(day.year, first + 2, calendar.monthrange(day.year, first + 2)[1])
    else:
        start, end = datetime.date(day.year, 1, 1), datetime.date(day.year, 12, 31)
    return start, end


@dataclass
class FeeLine:
    contract: Contract
    dwellings_start: int
    dwellings_end: int
    dwelling_days: int
    amount: Decimal
    type_fees: list[ContractTypeFee] = field(default_factory=list)

    @property
    def fee_note(self) -> str:
        return ", ".join(
            f"{fee.get_dwelling_type_display()}: € {fee.fee_per_dwelling_year}"
            for fee in self.type_fees
        )


# The aggregate reads dwellings and joins, through each one's stored area (DwellingArea), the
# contracts of that area that run in the period (`run`), and the dwelling's type periods.
CONTRACT = "run__"
TYPE_PERIOD = "type_periods__"


def _earns_on(day: datetime.date) -> Q:
    """A joined row that earns on the day: its contract runs then, its dwelling is in the
    portfolio then, and its type period (if the dwelling has any) holds the day. A dwelling's
    type periods follow each other without gap or overlap (`dwelling_type_change`), so exactly
    one of its rows earns on a day it is covered: counting rows counts dwellings, without a
    DISTINCT (which would make PostgreSQL sort every row instead of hashing by contract)."""
    return (
        Q(**{CONTRACT + "valid_from__lte": day})
        & (
            Q(**{CONTRACT + "valid_until__isnull": True})
            | Q(**{CONTRACT + "valid_until__gte": day})
        )
        & Q(in_portfolio_from__lte=day)
        & (Q(in_portfolio_until__isnull=True) | Q(in_portfolio_until__gte=day))
        & (
            Q(**{TYPE_PERIOD + "pk__isnull": True})
            | (
                Q(**{TYPE_PERIOD + "valid_from__lte": day})
                & (
                    Q(**{TYPE_PERIOD + "valid_until__isnull": True})
                    | Q(**{TYPE_PERIOD + "valid_until__gte": day})
                )
            )
        )
    )


def _figures(
    contracts: list[Contract], start: datetime.date, end: datetime.date
) -> dict[int, list[dict]]:
    """The period's figures of the contracts in ONE aggregate query, grouped by contract and
    dwelling type: the dwellings that earn on the first and on the last day, and the
    dwelling-days. It sums the rows dwelling × contract of its stored area × the dwelling's
    type periods (a dwelling without periods gives one row, at its own type); a row's days are
    those that lie in the period, the contract, the portfolio and the type period alike.
    Grouping by type keeps the sums in integers; the fee per type is applied to them after."""
    first_day = Greatest(
        Value(start),
        F(CONTRACT + "valid_from"),
        F("in_portfolio_from"),
        Coalesce(F(TYPE_PERIOD + "valid_from"), Value(start)),
        output_field=DateField(),
    )
    last_day = Least(
        Value(end),
        Coalesce(F(CONTRACT + "valid_until"), Value(end)),
        Coalesce(F("in_portfolio_until"), Value(end)),
        Coalesce(F(TYPE_PERIOD + "valid_until"), Value(end)),
        output_field=DateField(),
    )
    rows = (
        Dwelling.objects.filter(
            # only dwellings in the portfolio at some day of the period can earn in it
            Q(in_portfolio_until__isnull=True) | Q(in_portfolio_until__gte=start),
            organisation_id__in={contract.organisation_id for contract in contracts},
            in_portfolio_from__lte=end,
        )
        .annotate(
            run=FilteredRelation(
                "area_link__area__contracts",
                condition=Q(area_link__area__contracts__pk__in=[c.pk for c in contracts]),
            )
        )
        .filter(run__isnull=False)
        .order_by()
        .values(
            fee_contract=F(CONTRACT + "pk"),
            fee_type=Coalesce(F(TYPE_PERIOD + "dwelling_type"), F("dwelling_type")),
        )
        .annotate(
            dwellings_at_start=Count("pk", filter=_earns_on(start)),
            dwellings_at_end=Count("pk", filter=_earns_on(end)),
            dwelling_days=Sum(
                Greatest(
                    DaysBetween(last_day, first_day) + 1, Value(0), output_field=IntegerField()
                )
            ),
        )
    )
    figures: dict[int, list[dict]] = {}
    for row in rows:
        figures.setdefault(row["fee_contract"], []).append(row)
    return figures


def _lines(contracts, start: datetime.date, end: datetime.date) -> list[FeeLine]:
    """Fee lines of the contracts (a queryset): four queries for any number of contracts and
    dwellings — the contracts, the stored areas of dwellings that lack one, the one
    aggregate, and the contracts' type fees."""
    if end.year != start.year:
        raise ValueError("A fee period lies within one calendar year.")
    contracts = list(contracts)
    if not contracts:
        return []
    dwelling_areas_fill_missing(
        organisation_ids={contract.organisation_id for contract in contracts}
    )
    return _build_lines(contracts, _figures(contracts, start, end), _type_fees(contracts), start)


def _type_fees(contracts: list[Contract]) -> dict[int, list[ContractTypeFee]]:
    type_fees: dict[int, list[ContractTypeFee]] = {}
    for fee in ContractTypeFee.objects.filter(contract__in=contracts).order_by("contract_id", "pk"):
        type_fees.setdefault(fee.contract_id, []).append(fee)
    return type_fees


def _build_lines(
    contracts: list[Contract],
    figures: dict[int, list[dict]],
    type_fees: dict[int, list[ContractTypeFee]],
    start: datetime.date,
) -> list[FeeLine]:
    days_in_year = Decimal(366 if calendar.isleap(start.year) else 365)
    lines = []
    for contract in contracts:
        fee_of_type = {
            fee.dwelling_type: fee.fee_per_dwelling_year for fee in type_fees.get(contract.pk, [])
        }
        groups = figures.get(contract.pk, [])
        days = sum(group["dwelling_days"] or 0 for group in groups)
        # Σ fee per year × days, exactly, in Decimal: the days are integers.
        fee_days = sum(
            (
                fee_of_type.get(group["fee_type"], contract.fee_per_dwelling_year)
                * (group["dwelling_days"] or 0)
                for group in groups
            ),
            Decimal("0"),
        )
        lines.append(
            FeeLine(
                contract=contract,
                dwellings_start=sum(group["dwellings_at_start"] for group in groups),
                dwellings_end=sum(group["dwellings_at_end"] for group in groups),
                dwelling_days=days,
                amount=(fee_days / days_in_year).quantize(CENT, rounding=ROUND_HALF_UP),
                type_fees=type_fees.get(contract.pk, []),
            )
        )
    return lines


FAR = datetime.date(9999, 12, 31)


def _spans(contracts: list[Contract], start: datetime.date, end: datetime.date) -> list[dict]:
    """The rows of _figures (dwelling × contract of its stored area × type period) grouped by
    contract, fee type and the days the row can earn on, clipped to start..end: from the
    latest of the contract's, the portfolio's and the type period's first days to the
    earliest of their last days. A row earns on a day exactly when the day lies in its span
    (_earns_on), so any period inside start..end is summed from these groups without going
    over the dwellings again; most dwellings share their span, so the groups are few."""
    span_from = Greatest(
        Value(start),
        F(CONTRACT + "valid_from"),
        F("in_portfolio_from"),
        Coalesce(F(TYPE_PERIOD + "valid_from"), Value(start)),
        output_field=DateField(),
    )
    span_until = Least(
        Value(end),
        Coalesce(F(CONTRACT + "valid_until"), Value(FAR)),
        Coalesce(F("in_portfolio_until"), Value(FAR)),
        Coalesce(F(TYPE_PERIOD + "valid_until"), Value(FAR)),
        output_field=DateField(),
    )
    return list(
        Dwelling.objects.filter(
            Q(in_portfolio_until__isnull=True) | Q(in_portfolio_until__gte=start),
            organisation_id__in={contract.organisation_id for contract in contracts},
            in_portfolio_from__lte=end,
        )
        .annotate(
            run=FilteredRelation(
                "area_link__area__contracts",
                condition=Q(area_link__area__contracts__pk__in=[c.pk for c in contracts]),
            )
        )
        .filter(run__isnull=False)
        .order_by()
        .values(
            fee_contract=F(CONTRACT + "pk"),
            fee_type=Coalesce(F(TYPE_PERIOD + "dwelling_type"), F("dwelling_type")),
            span_from=span_from,
            span_until=span_until,
        )
        .annotate(rows=Count("pk"))
    )


def _figures_from_spans(
    spans: list[dict], contract_ids: set[int], start: datetime.date, end: datetime.date
) -> dict[int, list[dict]]:
    """What _figures gives for start..end, summed from the groups of _spans."""
    sums: dict[tuple[int, str], dict] = {}
    for span in spans:
        if span["fee_contract"] not in contract_ids:
            continue
        first, last = span["span_from"], span["span_until"]
        days = (min(last, end) - max(first, start)).days + 1
        at_start = span["rows"] if first <= start <= last else 0
        at_end = span["rows"] if first <= end <= last else 0
        if days <= 0 and not at_start and not at_end:
            continue
        cell = sums.setdefault(
            (span["fee_contract"], span["fee_type"]),
            {
                "fee_contract": span["fee_contract"],
                "fee_type": span["fee_type"],
                "dwellings_at_start": 0,
                "dwellings_at_end": 0,
                "dwelling_days": 0,
            },
        )
        cell["dwellings_at_start"] += at_start
        cell["dwellings_at_end"] += at_end
        cell["dwelling_days"] += max(days, 0) * span["rows"]
    figures: dict[int, list[dict]] = {}
    for cell in sums.values():
        figures.setdefault(cell["fee_contract"], []).append(cell)
    return figures


def contracts_fee_lines_of_periods(
    periods: list[tuple[datetime.date, datetime.date, list[Contract]]],
) -> list[list[FeeLine]]:
    """The fee lines of several periods (each: start, end and its contracts, in order), with
    ONE aggregate over the dwellings for all of them (_spans) instead of one per period: the
    figures are the same as contracts_fee_lines' for each period."""
    every = {contract.pk: contract for _s, _e, contracts in periods for contract in contracts}
    if not every:
        return [[] for _period in periods]
    for start, end, _contracts in periods:
        if end.year != start.year:
            raise ValueError("A fee period lies within one calendar year.")
    contracts = list(every.values())
    dwelling_areas_fill_missing(
        organisation_ids={contract.organisation_id for contract in contracts}
    )
    spans = _spans(
        contracts, min(start for start, _e, _c in periods), max(end for _s, end, _c in periods)
    )
    type_fees = _type_fees(contracts)
    return [
        _build_lines(
            list(period_contracts),
            _figures_from_spans(spans, {c.pk for c in period_contracts}, start, end),
            type_fees,
            start,
        )
        if period_contracts
        else []
        for start, end, period_contracts in periods
    ]


def contract_fee_line(contract: Contract, start: datetime.date, end: datetime.date) -> FeeLine:
    """One contract's figures for the period."""
    return _lines(
        Contract.objects.filter(pk=contract.pk).select_related("contractor", "area"), start, end
    )[0]


def contracts_fee_lines(contracts, start: datetime.date, end: datetime.date) -> list[FeeLine]:
    """The figures of any contracts (a queryset, in its order), with one aggregate query."""
    return _lines(contracts, start, end)


def fee_lines(*, organisation_id: int, start: datetime.date, end: datetime.date) -> list[FeeLine]:
    """Every contract of the association that runs in the period, with its figures."""
    contracts = (
        Contract.objects.filter(organisation_id=organisation_id, valid_from__lte=end)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
        .select_related("contractor", "area")
        .order_by("contractor__name", "area__name", "valid_from")
    )
    return _lines(contracts, start, end)


@transaction.atomic
def fee_statement_issue(
    *,
    organisation_id: int,
    kind: str,
    day: datetime.date,
    actor: User,
    corrects: FeeStatement | None = None,
) -> FeeStatement:
    """Freeze the period's figures as they are now. A period is issued once; after that only a
    correction of one of its statements may be issued, which references it."""
    if kind not in PeriodKind.values:
        raise ApplicationError(_("Choose a month, a quarter or a year."))
    start, end = period_bounds(kind, day)
    # One issuer at a time per association, so two clicks cannot both issue the period.
    Organisation.objects.select_for_update().filter(pk=organisation_id).first()
    if corrects is not None and (
        corrects.organisation_id != organisation_id
        or (corrects.period_start, corrects.period_end) != (start, end)
    ):
        raise ApplicationError(
            _("A correction must correct a statement of the same association and period.")
        )
    if (
        corrects is None
        and FeeStatement.objects.filter(
            organisation_id=organisation_id, period_start=start, period_end=end
        ).exists()
    ):
        raise ApplicationError(
            _("This period has already been issued; issue a correction of that statement.")
        )
    lines = fee_lines(organisation_id=organisation_id, start=start, end=end)
    statement = FeeStatement.objects.create(
        organisation_id=organisation_id,
        period_kind=kind,
        period_start=start,
        period_end=end,
        total=sum((line.amount for line in lines), Decimal("0.00")),
        corrects=corrects,
        issued_by=actor,
    )
    FeeStatementLine.objects.bulk_create(
        FeeStatementLine(
            organisation_id=organisation_id,
            statement=statement,
            contract=line.contract,
            contractor_name=line.contract.contractor.name,
            area_name=line.contract.area.name,
            dwellings_start=line.dwellings_start,
            dwellings_end=line.dwellings_end,
            dwelling_days=line.dwelling_days,
            fee_per_dwelling_year=line.contract.fee_per_dwelling_year,
            fee_note=line.fee_note[:300],
            amount=line.amount,
        )
        for line in lines
    )
    return statement


def _repair_requests():
    """The repairs app's request model, reached through the contract's reverse relation: this
    app lies below repairs and does not import it, but counts its rows by their lifecycle."""
    return Contract._meta.get_field("repair_requests").related_model


def contracts_with_figures(contracts, today: datetime.date | None = None):
    """Annotate contracts with the dwellings they cover today, the annual fee that gives, and
    the repairs completed under them in the last 12 months; one query for any number."""
    today = today or timezone.localdate()
    in_portfolio = Q(in_portfolio_from__lte=today) & (
        Q(in_portfolio_until__isnull=True) | Q(in_portfolio_until__gte=today)
    )
    # The contract's area's dwellings by their stored area; the association's filter keeps
    # the scan to its own dwellings.
    covered = Dwelling.objects.filter(
        in_portfolio,
        organisation_id=OuterRef("organisation_id"),
        area_link__area_id=OuterRef("area_id"),
    )
    type_fee = ContractTypeFee.objects.filter(
        contract_id=OuterRef(OuterRef("pk")), dwelling_type=OuterRef("dwelling_type")
    ).values("fee_per_dwelling_year")[:1]
    money = DecimalField(max_digits=14, decimal_places=2)
    dwelling_count = (
        covered.order_by().values("organisation_id").annotate(n=Count("pk")).values("n")
    )
    annual = (
        covered.order_by()
        .annotate(
            fee=Coalesce(Subquery(type_fee), OuterRef("fee_per_dwelling_year"), output_field=money)
        )
        .values("organisation_id")
        .annotate(total=Sum("fee"))
        .values("total")
    )
    year_ago = timezone.now() - datetime.timedelta(days=365)
    # A contract that has ended or not begun covers no dwelling today; its area's dwellings are
    # its successor's (or predecessor's).
    runs_today = Q(valid_from__lte=today) & (
        Q(valid_until__isnull=True) | Q(valid_until__gte=today)
    )
    return contracts.annotate(
        dwellings_today=Case(
            When(runs_today, then=Coalesce(Subquery(dwelling_count), Value(0))),
            default=Value(0),
            output_field=IntegerField(),
        ),
        annual_fee_today=Case(
            When(
                runs_today,
                then=Coalesce(Subquery(annual), Value(Decimal("0.00")), output_field=money),
            ),
            default=Value(Decimal("0.00")),
            output_field=money,
        ),
        completed_last_year=Count(
            "repair_requests",
            filter=Q(
                repair_requests__status=_repair_requests().Status.COMPLETED,
                repair_requests__completed_at__gte=year_ago,
            ),
        ),
    )


def fee_per_completed_repair(contract) -> Decimal | None:
    if not getattr(contract, "completed_last_year", 0):
        return None
    return (Decimal(contract.annual_fee_today) / contract.completed_last_year).quantize(
        CENT, rounding=ROUND_HALF_UP
    )


@dataclass
class FeePeriod:
    """The live fee of a period: its contract lines, the sum per contractor and in all."""

    lines: list[FeeLine]
    totals: list[tuple[str, Decimal]]
    total: Decimal


def fee_period(*, organisation_id: int, start: datetime.date, end: datetime.date) -> FeePeriod:
    """Every contract line of the association's period, and the totals per contractor (by
    name) and overall."""
    lines = fee_lines(organisation_id=organisation_id, start=start, end=end)
    totals: dict[str, Decimal] = {}
    for line in lines:
        name = line.contract.contractor.name
        totals[name] = totals.get(name, Decimal("0.00")) + line.amount
    return FeePeriod(
        lines=lines,
        totals=sorted(totals.items()),
        total=sum((line.amount for line in lines), Decimal("0.00")),
    )
