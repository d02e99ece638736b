"""Fees: what each contract earns in a period, computed in the database.

The fee of a period is, per contract, the sum over the dwellings of its area of
fee × days the dwelling was in the portfolio (and under the contract) in the period / days
in the year. A dwelling's fee follows its type per day (DwellingTypePeriod). Money is Decimal;
each contract line is rounded to the cent, half up; the total is the sum of the lines.
"""

import calendar
import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce, Greatest, Least, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from portal.errors import ApplicationError
from portal.models import Dwelling, DwellingTypePeriod, Organisation, User

from .models import (
    Contract,
    ContractTypeFee,
    FeeStatement,
    FeeStatementLine,
    PeriodKind,
    PostcodeRule,
)

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


def with_area(dwellings):
    """Annotate each dwelling with the area its postcode falls in (full postcode beats range)."""
    full = PostcodeRule.objects.filter(
        organisation_id=OuterRef("organisation_id"), postcode=OuterRef("postcode")
    ).values("area_id")[:1]
    ranged = PostcodeRule.objects.filter(
        organisation_id=OuterRef("organisation_id"),
        postcode__isnull=True,
        range_start__lte=OuterRef("digits"),
        range_end__gte=OuterRef("digits"),
    ).values("area_id")[:1]
    return dwellings.annotate(digits=Cast(Substr("postcode", 1, 4), IntegerField())).annotate(
        area_id=Coalesce(Subquery(full), Subquery(ranged))
    )


@dataclass
class FeeLine:
    contract: Contract
    dwellings_start: int
    dwellings_end: int
    dwelling_days: int
    amount: Decimal

    @property
    def fee_note(self) -> str:
        return ", ".join(
            f"{fee.get_dwelling_type_display()}: € {fee.fee_per_dwelling_year}"
            for fee in self.contract.type_fees.all()
        )


def _fee_case(contract: Contract, type_field: str):
    whens = [
        When(**{type_field: fee.dwelling_type}, then=Value(fee.fee_per_dwelling_year))
        for fee in contract.type_fees.all()
    ]
    default = Value(contract.fee_per_dwelling_year)
    money = DecimalField(max_digits=14, decimal_places=2)
    return Case(*whens, default=default, output_field=money) if whens else Cast(default, money)


def _days(start_fields, end_fields):
    """Inclusive days of the overlap of several ranges; 0 when they do not overlap."""
    start = Greatest(*start_fields, output_field=DateField())
    end = Least(*end_fields, output_field=DateField())
    return Greatest(DaysBetween(end, start) + 1, Value(0), output_field=IntegerField())


def contract_fee_line(contract: Contract, start: datetime.date, end: datetime.date) -> FeeLine:
    """One contract's figures for the period: two aggregate queries over its dwellings."""
    if end.year != start.year:
        raise ValueError("A fee period lies within one calendar year.")
    days_in_year = 366 if calendar.isleap(start.year) else 365
    clip_start = max(start, contract.valid_from)
    clip_end = min(end, contract.valid_until or end)
    dwellings = with_area(Dwelling.objects.filter(organisation_id=contract.organisation_id)).filter(
        area_id=contract.area_id
    )
    portfolio_until = Coalesce("in_portfolio_until", Value(end), output_field=DateField())
    money = DecimalField(max_digits=18, decimal_places=4)

    def covered_on(day: datetime.date) -> Q:
        # On a day the contract does not run it covers no dwelling (a contract that begins or
        # ends mid-period, or its successor in the same area, must not count the same ones).
        if not clip_start <= day <= clip_end:
            return Q(pk__in=[])
        return Q(in_portfolio_from__lte=day) & (
            Q(in_portfolio_until__isnull=True) | Q(in_portfolio_until__gte=day)
        )

    counts = dwellings.aggregate(
        at_start=Count("pk", filter=covered_on(start)),
        at_end=Count("pk", filter=covered_on(end)),
    )
    dwelling_days = 0
    fee_days = Decimal("0")
    if clip_start <= clip_end:
        # Dwellings that kept one type: their portfolio days inside the period and contract.
        plain_days = _days(
            [Value(clip_start), F("in_portfolio_from")], [Value(clip_end), portfolio_until]
        )
        plain = (
            dwellings.filter(~Exists(DwellingTypePeriod.objects.filter(dwelling_id=OuterRef("pk"))))
            .annotate(span=plain_days)
            .aggregate(
                days=Sum("span"),
                fee_days=Sum(
                    ExpressionWrapper(
                        F("span") * _fee_case(contract, "dwelling_type"), output_field=money
                    )
                ),
            )
        )
        # Dwellings whose type changed: each type period on its own.
        typed = (
            DwellingTypePeriod.objects.filter(
                dwelling__in=dwellings.values("pk"),
            )
            .annotate(
                span=_days(
                    [Value(clip_start), F("dwelling__in_portfolio_from"), F("valid_from")],
                    [
                        Value(clip_end),
                        Coalesce(
                            "dwelling__in_portfolio_until", Value(end), output_field=DateField()
                        ),
                        Coalesce("valid_until", Value(end), output_field=DateField()),
                    ],
                )
            )
            .aggregate(
                days=Sum("span"),
                fee_days=Sum(
                    ExpressionWrapper(
                        F("span") * _fee_case(contract, "dwelling_type"), output_field=money
                    )
                ),
            )
        )
        dwelling_days = (plain["days"] or 0) + (typed["days"] or 0)
        fee_days = Decimal(plain["fee_days"] or 0) + Decimal(typed["fee_days"] or 0)
    amount = (fee_days / Decimal(days_in_year)).quantize(CENT, rounding=ROUND_HALF_UP)
    return FeeLine(
        contract=contract,
        dwellings_start=counts["at_start"],
        dwellings_end=counts["at_end"],
        dwelling_days=dwelling_days,
        amount=amount,
    )


def fee_lines(*, organisation_id: int, start: datetime.date, end: datetime.date) -> list[FeeLine]:
    contracts = (
        Contract.objects.filter(organisation_id=organisation_id, valid_from__lte=end)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
        .select_related("contractor", "area")
        .prefetch_related("type_fees")
        .order_by("contractor__name", "area__name", "valid_from")
    )
    return [contract_fee_line(contract, start, end) for contract in contracts]


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


def contracts_with_figures(contracts, today: datetime.date | None = None):
    """Annotate contracts with the dwellings they cover today, the annual fee that gives, and
    the repairs completed under them in the last 12 months; one query for any number."""
    today = today or timezone.localdate()
    in_portfolio = Q(in_portfolio_from__lte=today) & (
        Q(in_portfolio_until__isnull=True) | Q(in_portfolio_until__gte=today)
    )
    covered = with_area(
        Dwelling.objects.filter(organisation_id=OuterRef("organisation_id"))
    ).filter(in_portfolio, area_id=OuterRef("area_id"))
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
                repair_requests__status="completed", repair_requests__completed_at__gte=year_ago
            ),
        ),
    )


def fee_per_completed_repair(contract) -> Decimal | None:
    if not getattr(contract, "completed_last_year", 0):
        return None
    return (Decimal(contract.annual_fee_today) / contract.completed_last_year).quantize(
        CENT, rounding=ROUND_HALF_UP
    )
