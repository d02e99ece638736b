"""Fees computed in the database (contractors/fees.py), checked against February 2024 worked
out by hand: dwellings entering, leaving and changing type mid-month, a leap year, and a
contract that starts halfway through the month.

The rule (DESIGN.md, Fees): per contract, the sum over its area's dwellings of fee per year ×
days in the portfolio and under the contract in the period ÷ days in the year; the fee follows
the dwelling's type per day; each contract line is rounded to the cent, half up.
"""

import datetime
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import translation

from contractors import fees
from contractors.models import Contract, ContractTypeFee, FeeStatement, PeriodKind
from portal.errors import ApplicationError
from portal.models import Dwelling, DwellingType, Organisation
from portal.services import dwelling_type_change
from repairs.lifecycle import Status

from . import factories

TUS, GAL = DwellingType.TUSSENWONING, DwellingType.GALERIJFLAT
FEB_1, FEB_29 = datetime.date(2024, 2, 1), datetime.date(2024, 2, 29)


@dataclass
class February:
    """The world of February 2024 for one association, with the figures worked out by hand."""

    organisation: Organisation
    north: Contract
    south: Contract
    type_changed: Dwelling
    entering: Dwelling
    leaving: Dwelling


def february_2024(organisation: Organisation) -> February:
    """Two contracts of one association.

    North (Bouwbedrijf Van Dam, 5611): € 180.00 per dwelling per year, € 150.00 for a gallery
    flat (GAL); runs all along. February 2024 has 29 days; 2024 has 366.

        dwelling                       type      days  fee × days
        in all month                   TUS         29  180 × 29 =  5 220.00
        gallery flat all month         GAL         29  150 × 29 =  4 350.00
        enters on 10 February          TUS   10–29: 20  180 × 20 =  3 600.00
        leaves: last day 20 February   TUS    1–20: 20  180 × 20 =  3 600.00
        TUS, GAL from 15 February      TUS    1–14: 14  180 × 14 =  2 520.00
                                       GAL   15–29: 15  150 × 15 =  2 250.00
        left on 31 January             TUS          0
        enters on 1 March              TUS          0
                                                  127           21 540.00
        21 540.00 / 366 = 58.852459… → € 58.85

    South (Klusbedrijf De Vries, 5612 and the full postcode 5611ZZ, which beats North's range):
    € 184.83 per dwelling per year, valid from 16 February 2024 (14 days of the month).
    184.83 / 366 = 0.505 exactly, so a dwelling-day is worth € 0.505.

        in all month (5611ZZ)          TUS   16–29: 14
        enters on 19 February          TUS   19–29: 11
        leaves: last day 10 February   TUS          0  (left before the contract began)
                                                   25  25 × 0.505 = 12.625 → € 12.63 (half up;
                                                       half-to-even would give 12.62)

    Total € 58.85 + € 12.63 = € 71.48. With 365 days in the year North would be € 59.01.

    Dwellings at the start and end of the period are those the contract covers on that day:
    North 4 on 1 February (not the one entering on 10 February) and 4 on 29 February (not the
    one that left on 20 February); South covers none on 1 February, it had not begun, and 2
    on 29 February.

    Noise that must not count: a dwelling no area covers, and another association's dwelling
    in 5611 under its own contract.
    """
    north = factories.ContractFactory(
        area=factories.AreaFactory(organisation=organisation, name="Noord"),
        contractor=factories.ContractorFactory(name="Bouwbedrijf Van Dam"),
        valid_from=datetime.date(2020, 1, 1),
        fee_per_dwelling_year=Decimal("180.00"),
    )
    factories.PostcodeRuleFactory(area=north.area, range_start=5611, range_end=5611)
    factories.ContractTypeFeeFactory(
        contract=north, dwelling_type=GAL, fee_per_dwelling_year=Decimal("150.00")
    )
    south = factories.ContractFactory(
        area=factories.AreaFactory(organisation=organisation, name="Zuid"),
        contractor=factories.ContractorFactory(name="Klusbedrijf De Vries"),
        valid_from=datetime.date(2024, 2, 16),
        fee_per_dwelling_year=Decimal("184.83"),
    )
    factories.PostcodeRuleFactory(area=south.area, range_start=5612, range_end=5612)
    factories.PostcodeRuleFactory(
        area=south.area, range_start=None, range_end=None, postcode="5611ZZ"
    )

    def dwelling(postcode: str, **fields) -> Dwelling:
        return factories.DwellingFactory(organisation=organisation, postcode=postcode, **fields)

    # North
    dwelling("5611AB")
    dwelling("5611AB", dwelling_type=GAL)
    entering = dwelling("5611AB", in_portfolio_from=datetime.date(2024, 2, 10))
    leaving = dwelling("5611AB", in_portfolio_until=datetime.date(2024, 2, 20))
    type_changed = dwelling("5611AB")
    dwelling_type_change(
        dwelling=type_changed, dwelling_type=GAL, on_date=datetime.date(2024, 2, 15)
    )
    dwelling("5611AB", in_portfolio_until=datetime.date(2024, 1, 31))
    dwelling("5611AB", in_portfolio_from=datetime.date(2024, 3, 1))
    # South
    dwelling("5611ZZ")
    dwelling("5612CD", in_portfolio_from=datetime.date(2024, 2, 19))
    dwelling("5612CD", in_portfolio_until=datetime.date(2024, 2, 10))
    # Noise
    dwelling("9999ZZ")
    other = factories.OrganisationFactory(name="Woonbron Dommeldal", slug="dommeldal")
    other_contract = factories.ContractFactory(area=factories.AreaFactory(organisation=other))
    factories.PostcodeRuleFactory(area=other_contract.area, range_start=5611, range_end=5612)
    factories.DwellingFactory(organisation=other, postcode="5611AB")
    return February(
        organisation=organisation,
        north=north,
        south=south,
        type_changed=type_changed,
        entering=entering,
        leaving=leaving,
    )


# (contractor, area, at start, at end, dwelling-days, amount)
EXPECTED_LINES = [
    ("Bouwbedrijf Van Dam", "Noord", 4, 4, 127, Decimal("58.85")),
    ("Klusbedrijf De Vries", "Zuid", 0, 2, 25, Decimal("12.63")),
]
EXPECTED_TOTAL = Decimal("71.48")


def line_figures(lines) -> list[tuple]:
    return [
        (
            line.contract.contractor.name,
            line.contract.area.name,
            line.dwellings_start,
            line.dwellings_end,
            line.dwelling_days,
            line.amount,
        )
        for line in lines
    ]


@pytest.fixture
def february(organisation):
    return february_2024(organisation)


@pytest.mark.django_db
def test_february_2024_gives_the_hand_computed_cents(february):
    # given the world of february_2024()

    # when
    lines = fees.fee_lines(organisation_id=february.organisation.pk, start=FEB_1, end=FEB_29)

    # then
    assert line_figures(lines) == EXPECTED_LINES
    assert all(type(line.amount) is Decimal for line in lines)
    assert [str(line.amount) for line in lines] == ["58.85", "12.63"]
    assert sum(line.amount for line in lines) == EXPECTED_TOTAL
    with translation.override("en"):
        assert [line.fee_note for line in lines] == ["Gallery flat: € 150.00", ""]


@pytest.mark.django_db
def test_the_same_month_in_a_common_year_divides_by_365(organisation):
    # given one dwelling all of February 2023 (28 days) under a € 180.00 contract
    contract = factories.ContractFactory(
        area=factories.AreaFactory(organisation=organisation),
        fee_per_dwelling_year=Decimal("180.00"),
    )
    factories.PostcodeRuleFactory(area=contract.area, range_start=5611, range_end=5611)
    factories.DwellingFactory(organisation=organisation, postcode="5611AB")

    # when
    line = fees.contract_fee_line(contract, datetime.date(2023, 2, 1), datetime.date(2023, 2, 28))

    # then 180 × 28 / 365 = 13.8082… → 13.81
    assert (line.dwelling_days, line.amount) == (28, Decimal("13.81"))


@pytest.mark.django_db
def test_a_whole_leap_year_earns_the_annual_fee_exactly(organisation):
    # given two dwellings all of 2024 and one that left on 30 June (182 days)
    contract = factories.ContractFactory(
        area=factories.AreaFactory(organisation=organisation),
        fee_per_dwelling_year=Decimal("180.00"),
    )
    factories.PostcodeRuleFactory(area=contract.area, range_start=5611, range_end=5611)
    factories.DwellingFactory.create_batch(2, organisation=organisation, postcode="5611AB")
    factories.DwellingFactory(
        organisation=organisation,
        postcode="5611AB",
        in_portfolio_until=datetime.date(2024, 6, 30),
    )

    # when
    start, end = fees.period_bounds(PeriodKind.YEAR, datetime.date(2024, 5, 17))
    line = fees.contract_fee_line(contract, start, end)

    # then 2 × 180 + 180 × 182 / 366 = 360 + 89.5081… → 449.51
    assert (start, end) == (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31))
    assert (line.dwellings_start, line.dwellings_end) == (3, 2)
    assert (line.dwelling_days, line.amount) == (2 * 366 + 182, Decimal("449.51"))


@pytest.mark.django_db
def test_a_contract_that_ends_mid_period_earns_until_its_last_day(organisation):
    # given a contract whose last day is 10 February 2024 and its successor from 11 February
    area = factories.AreaFactory(organisation=organisation)
    factories.PostcodeRuleFactory(area=area, range_start=5611, range_end=5611)
    ending = factories.ContractFactory(
        area=area, valid_until=datetime.date(2024, 2, 10), fee_per_dwelling_year=Decimal("366")
    )
    successor = factories.ContractFactory(
        area=area, valid_from=datetime.date(2024, 2, 11), fee_per_dwelling_year=Decimal("732")
    )
    factories.DwellingFactory(organisation=organisation, postcode="5611AB")

    # when
    lines = fees.fee_lines(organisation_id=organisation.pk, start=FEB_1, end=FEB_29)

    # then € 1 a day for 10 days, then € 2 a day for 19 days; each dwelling counted once a day
    by_contract = {line.contract.pk: line for line in lines}
    assert (by_contract[ending.pk].dwelling_days, by_contract[ending.pk].amount) == (
        10,
        Decimal("10.00"),
    )
    assert (by_contract[successor.pk].dwelling_days, by_contract[successor.pk].amount) == (
        19,
        Decimal("38.00"),
    )
    assert (by_contract[ending.pk].dwellings_start, by_contract[ending.pk].dwellings_end) == (1, 0)
    assert (
        by_contract[successor.pk].dwellings_start,
        by_contract[successor.pk].dwellings_end,
    ) == (0, 1)


@pytest.mark.parametrize(
    ("kind", "day", "expected"),
    [
        ("month", datetime.date(2024, 2, 17), (datetime.date(2024, 2, 1), FEB_29)),
        (
            "month",
            datetime.date(2023, 2, 1),
            (datetime.date(2023, 2, 1), datetime.date(2023, 2, 28)),
        ),
        (
            "quarter",
            datetime.date(2024, 2, 17),
            (datetime.date(2024, 1, 1), datetime.date(2024, 3, 31)),
        ),
        (
            "quarter",
            datetime.date(2024, 12, 31),
            (datetime.date(2024, 10, 1), datetime.date(2024, 12, 31)),
        ),
        (
            "year",
            datetime.date(2024, 7, 1),
            (datetime.date(2024, 1, 1), datetime.date(2024, 12, 31)),
        ),
    ],
)
def test_period_bounds(kind, day, expected):
    # given / when
    bounds = fees.period_bounds(kind, day)

    # then
    assert bounds == expected


@pytest.mark.django_db
def test_a_quarter_adds_up_the_type_change_and_the_leap_day(february):
    # given the world of February 2024, over the first quarter (91 days)

    # when
    start, end = fees.period_bounds(PeriodKind.QUARTER, FEB_1)
    line = fees.contract_fee_line(february.north, start, end)

    # then, North over 1 January – 31 March 2024:
    #   in all quarter                 TUS  91  180 × 91 = 16 380
    #   gallery flat all quarter       GAL  91  150 × 91 = 13 650
    #   enters 10 February             TUS  51  180 × 51 =  9 180   (10 Feb – 31 Mar)
    #   leaves 20 February             TUS  51  180 × 51 =  9 180   (1 Jan – 20 Feb)
    #   TUS until 14 Feb, then GAL     TUS  45  180 × 45 =  8 100
    #                                  GAL  46  150 × 46 =  6 900
    #   left on 31 January             TUS  31  180 × 31 =  5 580
    #   enters on 1 March              TUS  31  180 × 31 =  5 580
    #                                      437            74 550 / 366 = 203.6885… → 203.69
    assert (line.dwelling_days, line.amount) == (437, Decimal("203.69"))
    assert (line.dwellings_start, line.dwellings_end) == (5, 5)


@pytest.mark.django_db
def test_issued_statement_is_frozen_against_later_changes(february, staff_user):
    # given a statement issued for February 2024
    # (in Dutch, the default language; the note on types is frozen as words)
    with translation.override("nl"):
        statement = fees.fee_statement_issue(
            organisation_id=february.organisation.pk,
            kind=PeriodKind.MONTH,
            day=FEB_1,
            actor=staff_user,
        )
    frozen = list(statement.lines.values_list("contractor_name", "dwelling_days", "amount"))

    # when fees, a type fee, a dwelling and a contract's name change afterwards
    Contract.objects.filter(pk=february.north.pk).update(fee_per_dwelling_year=Decimal("999.00"))
    ContractTypeFee.objects.filter(contract=february.north).update(
        fee_per_dwelling_year=Decimal("1.00")
    )
    Dwelling.objects.filter(pk=february.leaving.pk).update(in_portfolio_until=None)
    february.north.contractor.name = "Van Dam Bouw BV"
    february.north.contractor.save()

    # then the statement still reads as issued, while the live figures moved
    statement.refresh_from_db()
    assert statement.total == EXPECTED_TOTAL
    assert statement.corrects is None
    assert statement.issued_by == staff_user
    assert (statement.period_start, statement.period_end) == (FEB_1, FEB_29)
    assert list(statement.lines.values_list("contractor_name", "dwelling_days", "amount")) == frozen
    assert frozen == [
        ("Bouwbedrijf Van Dam", 127, Decimal("58.85")),
        ("Klusbedrijf De Vries", 25, Decimal("12.63")),
    ]
    assert list(
        statement.lines.values_list(
            "area_name", "dwellings_start", "dwellings_end", "fee_per_dwelling_year", "fee_note"
        )
    ) == [
        ("Noord", 4, 4, Decimal("180.00"), "Galerijwoning: € 150.00"),
        ("Zuid", 0, 2, Decimal("184.83"), ""),
    ]
    live = fees.fee_lines(organisation_id=february.organisation.pk, start=FEB_1, end=FEB_29)
    assert live[0].amount != Decimal("58.85")


@pytest.mark.django_db
def test_a_correction_is_a_new_statement_that_references_the_old_one(february, staff_user):
    # given an issued statement, after which the leaving dwelling turns out to have stayed
    first = fees.fee_statement_issue(
        organisation_id=february.organisation.pk, kind="month", day=FEB_1, actor=staff_user
    )
    Dwelling.objects.filter(pk=february.leaving.pk).update(in_portfolio_until=None)

    # when
    correction = fees.fee_statement_issue(
        organisation_id=february.organisation.pk,
        kind="month",
        day=FEB_29,
        actor=staff_user,
        corrects=first,
    )

    # then North gains 9 days at € 180: 21 540 + 1 620 = 23 160 / 366 = 63.278… → 63.28
    assert correction.pk != first.pk
    assert correction.corrects == first
    assert list(first.corrections.all()) == [correction]
    assert list(correction.lines.values_list("dwelling_days", "amount")) == [
        (136, Decimal("63.28")),
        (25, Decimal("12.63")),
    ]
    assert correction.total == Decimal("75.91")
    first.refresh_from_db()
    assert first.total == EXPECTED_TOTAL
    assert FeeStatement.objects.count() == 2


@pytest.mark.django_db
def test_a_correction_must_be_of_the_same_association_and_period(
    february, staff_user, other_organisation
):
    # given statements of another period and of another association
    january = fees.fee_statement_issue(
        organisation_id=february.organisation.pk,
        kind="month",
        day=datetime.date(2024, 1, 1),
        actor=staff_user,
    )
    others = fees.fee_statement_issue(
        organisation_id=other_organisation.pk, kind="month", day=FEB_1, actor=staff_user
    )
    before = FeeStatement.objects.count()

    # when / then
    for wrong in (january, others):
        with pytest.raises(ApplicationError):
            fees.fee_statement_issue(
                organisation_id=february.organisation.pk,
                kind="month",
                day=FEB_1,
                actor=staff_user,
                corrects=wrong,
            )
    assert FeeStatement.objects.count() == before


@pytest.mark.django_db
def test_a_period_is_issued_once_and_then_only_corrected(february, staff_user):
    # given February 2024, issued
    first = fees.fee_statement_issue(
        organisation_id=february.organisation.pk, kind="month", day=FEB_1, actor=staff_user
    )

    # when it is issued again without saying what it corrects
    with pytest.raises(ApplicationError):
        fees.fee_statement_issue(
            organisation_id=february.organisation.pk, kind="month", day=FEB_29, actor=staff_user
        )

    # then nothing was written besides the first
    assert list(FeeStatement.objects.all()) == [first]


# -- contracts at a glance --------------------------------------------------------------------


@pytest.mark.django_db
def test_contracts_at_a_glance_count_todays_dwellings_and_fee_per_repair(february, time_machine):
    # given today is 25 February 2024, with repairs completed under North in the last year
    time_machine.move_to(datetime.datetime(2024, 2, 25, 12, tzinfo=datetime.UTC), tick=False)
    now = datetime.datetime(2024, 2, 25, 12, tzinfo=datetime.UTC)
    for days_ago in (1, 100, 364):
        factories.RepairRequestFactory(
            dwelling=february.type_changed,
            status=Status.COMPLETED,
            contract=february.north,
            contractor=february.north.contractor,
            completed_at=now - datetime.timedelta(days=days_ago),
        )
    # …and ones that do not count: too long ago, not completed, another contract
    factories.RepairRequestFactory(
        dwelling=february.type_changed,
        status=Status.COMPLETED,
        contract=february.north,
        contractor=february.north.contractor,
        completed_at=now - datetime.timedelta(days=400),
    )
    factories.RepairRequestFactory(
        dwelling=february.type_changed,
        status=Status.ROUTED,
        contract=february.north,
        contractor=february.north.contractor,
    )

    # when
    contracts = {
        contract.pk: contract
        for contract in fees.contracts_with_figures(
            Contract.objects.filter(organisation=february.organisation)
        )
    }

    # then North today covers: TUS all along, GAL, the one that entered on 10 February, the one
    # now GAL (the one that left on 20 February is gone): 180 + 150 + 180 + 150 = 660 a year,
    # and 660 / 3 completed repairs = 220.00 per repair
    north = contracts[february.north.pk]
    assert (north.dwellings_today, north.annual_fee_today, north.completed_last_year) == (
        4,
        Decimal("660.00"),
        3,
    )
    assert fees.fee_per_completed_repair(north) == Decimal("220.00")
    # South: 5611ZZ and the one entering on 19 February: 2 × 184.83; no repairs yet
    south = contracts[february.south.pk]
    assert (south.dwellings_today, south.annual_fee_today, south.completed_last_year) == (
        2,
        Decimal("369.66"),
        0,
    )
    assert fees.fee_per_completed_repair(south) is None


@pytest.mark.django_db
def test_a_contract_that_has_ended_covers_no_dwelling_today(organisation, time_machine):
    # given an area whose contract ended on 10 February 2024 and whose successor runs since
    time_machine.move_to(datetime.datetime(2024, 2, 25, 12, tzinfo=datetime.UTC), tick=False)
    area = factories.AreaFactory(organisation=organisation)
    factories.PostcodeRuleFactory(area=area, range_start=5611, range_end=5611)
    ended = factories.ContractFactory(area=area, valid_until=datetime.date(2024, 2, 10))
    successor = factories.ContractFactory(area=area, valid_from=datetime.date(2024, 2, 11))
    upcoming = factories.ContractFactory(
        area=factories.AreaFactory(organisation=organisation), valid_from=datetime.date(2024, 3, 1)
    )
    factories.PostcodeRuleFactory(area=upcoming.area, range_start=5612, range_end=5612)
    factories.DwellingFactory.create_batch(2, organisation=organisation, postcode="5611AB")
    factories.DwellingFactory(organisation=organisation, postcode="5612AB")

    # when
    figures = {
        contract.pk: (contract.dwellings_today, contract.annual_fee_today)
        for contract in fees.contracts_with_figures(Contract.objects.all())
    }

    # then
    assert figures == {
        ended.pk: (0, Decimal("0.00")),
        successor.pk: (2, Decimal("360.00")),
        upcoming.pk: (0, Decimal("0.00")),
    }
