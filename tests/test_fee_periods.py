"""The fees of several periods from one aggregate (contractors.fees.
contracts_fee_lines_of_periods, read by the area scorecard through sroi.ledgers) are the same,
line by line, as the fees of each period computed on its own."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from contractors import fees
from contractors.models import Contract
from contractors.sroi import ledger, ledgers

from . import factories
from .test_fees import february_2024, line_figures

pytestmark = pytest.mark.django_db

QUARTERS = [(2023, 3), (2023, 4), (2024, 1), (2024, 2)]


def _world(organisation):
    """February 2024's world (dwellings entering, leaving, changing type) plus a contract
    that ends mid-quarter and its successor."""
    february_2024(organisation)
    area = factories.AreaFactory(organisation=organisation)
    factories.PostcodeRuleFactory(area=area, range_start=5700, range_end=5700)
    factories.ContractFactory(
        area=area, valid_until=datetime.date(2024, 2, 10), fee_per_dwelling_year=Decimal("366")
    )
    factories.ContractFactory(
        area=area, valid_from=datetime.date(2024, 2, 11), fee_per_dwelling_year=Decimal("732")
    )
    factories.DwellingFactory(organisation=organisation, postcode="5700AB")


def _figures(rows):
    return [
        (row.contract.pk, row.fees, row.pledge, row.contributed, row.expected_by_now)
        for row in rows
    ]


def test_the_fees_of_several_quarters_at_once_equal_each_quarter_alone(organisation):
    # given dwellings entering, leaving and changing type, a contract replaced mid-quarter
    _world(organisation)

    # when
    together = ledgers(organisation_ids=[organisation.pk], periods=QUARTERS)

    # then
    alone = [
        ledger(organisation_ids=[organisation.pk], year=year, quarter=quarter)
        for year, quarter in QUARTERS
    ]
    assert [_figures(rows) for rows in together] == [_figures(rows) for rows in alone]
    assert any(row.fees for rows in together for row in rows)


def test_the_lines_count_dwellings_and_days_like_the_single_period(organisation):
    # given
    _world(organisation)
    periods = [
        (datetime.date(2024, 2, 1), datetime.date(2024, 2, 29)),
        (datetime.date(2024, 1, 1), datetime.date(2024, 3, 31)),
        (datetime.date(2023, 1, 1), datetime.date(2023, 12, 31)),
    ]
    contracts = list(Contract.objects.filter(organisation=organisation))

    # when
    together = fees.contracts_fee_lines_of_periods(
        [(start, end, contracts) for start, end in periods]
    )

    # then
    for (start, end), lines in zip(periods, together, strict=True):
        assert line_figures(lines) == line_figures(
            fees.contracts_fee_lines(
                Contract.objects.filter(pk__in=[c.pk for c in contracts]), start, end
            )
        )


def test_one_aggregate_over_the_dwellings_for_every_period(organisation):
    # given
    _world(organisation)

    # when
    with CaptureQueriesContext(connection) as captured:
        ledgers(organisation_ids=[organisation.pk], periods=QUARTERS * 2)

    # then
    over_dwellings = [
        query
        for query in captured.captured_queries
        if query["sql"].startswith("SELECT") and 'FROM "portal_dwelling"' in query["sql"]
    ]
    assert len(over_dwellings) == 1


def test_no_contract_gives_empty_ledgers(organisation):
    assert ledgers(organisation_ids=[organisation.pk], periods=QUARTERS) == [[], [], [], []]


def test_a_period_across_years_is_refused(organisation):
    _world(organisation)
    contracts = list(Contract.objects.filter(organisation=organisation))
    with pytest.raises(ValueError, match="calendar year"):
        fees.contracts_fee_lines_of_periods(
            [(datetime.date(2023, 12, 1), datetime.date(2024, 1, 31), contracts)]
        )
