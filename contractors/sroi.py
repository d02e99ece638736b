"""The SROI ledger: per contract and year, the pledge (its SROI share of the year's fees)
against the contributions recorded, and which contracts are behind."""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from portal.scoping import OrganisationScope, filter_by_scope

from .fees import CENT, contracts_fee_lines, contracts_fee_lines_of_periods, period_bounds
from .models import Contract, PeriodKind, SroiContribution


@dataclass
class LedgerRow:
    contract: Contract
    fees: Decimal
    pledge: Decimal
    contributed: Decimal
    expected_by_now: Decimal

    @property
    def progress(self) -> Decimal:
        if not self.pledge:
            return Decimal("100.0")
        return (self.contributed * 100 / self.pledge).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )

    @property
    def progress_capped(self) -> Decimal:
        return min(self.progress, Decimal("100"))

    @property
    def behind(self) -> bool:
        return self.contributed < self.expected_by_now


def ledger(
    *,
    organisation_ids: OrganisationScope,
    year: int,
    quarter: int | None = None,
    contractor_id: int | None = None,
) -> list[LedgerRow]:
    """The ledger of the associations in scope (ids, or ALL_ASSOCIATIONS for a superuser),
    for the year or one quarter of it (its fees, pledge and contributions), of every
    contractor or one."""
    start, end = _bounds(year, quarter)
    contracts = _ledger_contracts(organisation_ids, start, end, contractor_id)
    # The year's fees of every contract in one aggregate query.
    return _ledger_rows(contracts_fee_lines(contracts, start, end), start, end)


def ledgers(
    *,
    organisation_ids: OrganisationScope,
    periods: list[tuple[int, int | None]],
    contractor_id: int | None = None,
) -> list[list[LedgerRow]]:
    """The ledger of each period (year, quarter or None), as `ledger` gives it, with one
    aggregate over the dwellings for the fees of all periods together."""
    bounds = [_bounds(year, quarter) for year, quarter in periods]
    contracts = [
        list(_ledger_contracts(organisation_ids, start, end, contractor_id))
        for start, end in bounds
    ]
    lines = contracts_fee_lines_of_periods(
        [(start, end, period) for (start, end), period in zip(bounds, contracts, strict=True)]
    )
    return [
        _ledger_rows(period_lines, start, end)
        for period_lines, (start, end) in zip(lines, bounds, strict=True)
    ]


def _bounds(year: int, quarter: int | None) -> tuple[datetime.date, datetime.date]:
    if quarter:
        return period_bounds(PeriodKind.QUARTER, datetime.date(year, 3 * quarter - 2, 1))
    return datetime.date(year, 1, 1), datetime.date(year, 12, 31)


def _ledger_contracts(
    organisation_ids: OrganisationScope,
    start: datetime.date,
    end: datetime.date,
    contractor_id: int | None,
):
    contracts = (
        Contract.objects.filter(valid_from__lte=end)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
        .select_related("contractor", "area", "organisation")
        .prefetch_related("type_fees")
        .annotate(
            contributed=Sum(
                "sroi_contributions__value",
                # only the contract's own association's records count, whatever a row claims
                filter=Q(
                    sroi_contributions__date__gte=start,
                    sroi_contributions__date__lte=end,
                    sroi_contributions__organisation_id=F("organisation_id"),
                ),
            )
        )
        .order_by("organisation__name", "contractor__name", "area__name")
    )
    contracts = filter_by_scope(contracts, organisation_ids)
    if contractor_id:
        contracts = contracts.filter(contractor_id=contractor_id)
    return contracts


def _ledger_rows(lines, start: datetime.date, end: datetime.date) -> list[LedgerRow]:
    today = timezone.localdate()
    days_in_period = (end - start).days + 1
    if today > end:
        elapsed = Decimal(1)
    elif today < start:
        elapsed = Decimal(0)
    else:
        elapsed = Decimal((today - start).days + 1) / days_in_period
    rows = []
    for line in lines:
        contract, fees = line.contract, line.amount
        pledge = (fees * contract.sroi_pledge_percent / 100).quantize(CENT, rounding=ROUND_HALF_UP)
        rows.append(
            LedgerRow(
                contract=contract,
                fees=fees,
                pledge=pledge,
                # to the cent: SQLite hands sums of decimals back as 15.5
                contributed=Decimal(contract.contributed or 0).quantize(CENT),
                expected_by_now=(pledge * elapsed).quantize(CENT, rounding=ROUND_HALF_UP),
            )
        )
    return rows


def totals_per_neighbourhood(*, organisation_ids: OrganisationScope, year: int) -> list[dict]:
    """The year's contributions per neighbourhood of the associations' lists (one aggregate
    query); contributions recorded without one are totalled under their written text."""
    contributions = filter_by_scope(
        SroiContribution.objects.filter(
            date__gte=datetime.date(year, 1, 1),
            date__lte=datetime.date(year, 12, 31),
            # as in the ledger: only rows of the contract's own association count
            organisation_id=F("contract__organisation_id"),
        ),
        organisation_ids,
    )
    rows = (
        contributions.values("buurt_id", "buurt__name", "buurt__cbs_buurt_code", "neighbourhood")
        .annotate(total=Sum("value"), contributions=Count("pk"))
        .order_by("buurt__name", "neighbourhood")
    )
    totals: dict = {}
    for row in rows:
        key = row["buurt_id"] or row["neighbourhood"]
        name = row["buurt__name"] or row["neighbourhood"]
        entry = totals.setdefault(
            key,
            {
                "name": name,
                "code": row["buurt__cbs_buurt_code"] or "",
                "total": Decimal(0),
                "contributions": 0,
            },
        )
        entry["total"] += Decimal(row["total"] or 0).quantize(CENT)
        entry["contributions"] += row["contributions"]
    return sorted(totals.values(), key=lambda entry: (-entry["total"], entry["name"]))
