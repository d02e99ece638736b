"""The SROI ledger (contractors/sroi.py and its admin page): per contract and year the pledge,
the contract's SROI percentage of its fees of the year, against the contributions staff
recorded, with progress and the contracts behind; never another association's records."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contractors.models import Contract, SroiContribution
from contractors.sroi import ledger
from portal.models import Dwelling, Organisation
from portal.scoping import ALL_ASSOCIATIONS

from . import factories
from .test_fee_admin import table

LEDGER_URL = reverse("admin:contractors_sroicontribution_ledger")
# 1 July 2024, noon in Amsterdam: day 183 of 366, so exactly half of the year has passed.
MIDYEAR = datetime.datetime(2024, 7, 1, 12, tzinfo=ZoneInfo("Europe/Amsterdam"))


def contribution(contract: Contract, day: datetime.date, value: str, **fields) -> SroiContribution:
    return SroiContribution.objects.create(
        organisation=fields.pop("organisation", contract.organisation),
        contract=contract,
        date=day,
        neighbourhood=fields.pop("neighbourhood", "Woensel-Noord"),
        description=fields.pop("description", "Speeltuin Kastanjelaan"),
        value=Decimal(value),
        **fields,
    )


def sroi_2024(organisation: Organisation, other: Organisation) -> dict[str, Contract]:
    """Two contracts of the association in 2024 (366 days), worked out by hand.

    North (Bouwbedrijf Van Dam, 5611): € 180.00 per dwelling per year, SROI 7.5 %.
      two dwellings all year          2 × 180 × 366  = 131 760
      one entering on 1 July          180 × 184      =  33 120   (1 July – 31 December)
      fees 164 880 / 366 = 450.4918… → € 450.49; pledge 7.5 % = 33.78675 → € 33.79
      contributed in 2024: 10.00 (1 March) + 5.50 (15 June) = € 15.50
        (not 31 December 2023 nor 1 January 2025)
      progress 15.50 / 33.79 = 45.87… % → 45.9 %
      by 1 July half the year has passed (183 / 366): expected 16.895 → € 16.90 → behind

    South (Klusbedrijf De Vries, 5612): € 184.83, valid from 16 February 2024, SROI 10 %.
      one dwelling all along: 16 February – 31 December = 320 days, 184.83 / 366 = 0.505 a day
      fees 320 × 0.505 = € 161.60; pledge € 16.16
      contributed € 20.00 (1 May): progress 123.8 %, the bar full; expected € 8.08 → not behind

    Another association's contract in the same postcodes, with a contribution of € 1 000, and a
    row of that association forged onto North (a record outside clean()) must not count.
    """
    north = factories.ContractFactory(
        area=factories.AreaFactory(organisation=organisation, name="Noord"),
        contractor=factories.ContractorFactory(name="Bouwbedrijf Van Dam"),
        fee_per_dwelling_year=Decimal("180.00"),
        sroi_pledge_percent=Decimal("7.50"),
    )
    factories.PostcodeRuleFactory(area=north.area, range_start=5611, range_end=5611)
    factories.DwellingFactory.create_batch(2, organisation=organisation, postcode="5611AB")
    factories.DwellingFactory(
        organisation=organisation, postcode="5611AB", in_portfolio_from=datetime.date(2024, 7, 1)
    )
    contribution(north, datetime.date(2024, 3, 1), "10.00")
    contribution(north, datetime.date(2024, 6, 15), "5.50", description="Buurtmoestuin")
    contribution(north, datetime.date(2023, 12, 31), "100.00")
    contribution(north, datetime.date(2025, 1, 1), "50.00")

    south = factories.ContractFactory(
        area=factories.AreaFactory(organisation=organisation, name="Zuid"),
        contractor=factories.ContractorFactory(name="Klusbedrijf De Vries"),
        valid_from=datetime.date(2024, 2, 16),
        fee_per_dwelling_year=Decimal("184.83"),
        sroi_pledge_percent=Decimal("10.00"),
    )
    factories.PostcodeRuleFactory(area=south.area, range_start=5612, range_end=5612)
    factories.DwellingFactory(organisation=organisation, postcode="5612AB")
    contribution(south, datetime.date(2024, 5, 1), "20.00")

    others = factories.ContractFactory(
        area=factories.AreaFactory(organisation=other, name="Dommel"),
        contractor=factories.ContractorFactory(name="Renovatie Oost"),
        sroi_pledge_percent=Decimal("5.00"),
    )
    factories.PostcodeRuleFactory(area=others.area, range_start=5611, range_end=5612)
    factories.DwellingFactory(organisation=other, postcode="5611AB")
    contribution(others, datetime.date(2024, 4, 1), "1000.00", description="Trapveldje")
    contribution(
        north, datetime.date(2024, 4, 1), "1000.00", organisation=other, description="Vervalst"
    )
    return {"north": north, "south": south, "others": others}


@pytest.fixture
def contracts(organisation, other_organisation, time_machine):
    time_machine.move_to(MIDYEAR, tick=False)
    return sroi_2024(organisation, other_organisation)


def figures(rows) -> dict[str, tuple]:
    return {
        row.contract.area.name: (
            row.fees,
            row.pledge,
            row.contributed,
            row.progress,
            row.progress_capped,
            row.expected_by_now,
            row.behind,
        )
        for row in rows
    }


@pytest.mark.django_db
def test_pledge_and_progress_are_exact(contracts, organisation):
    # given the contracts of sroi_2024(), on 1 July 2024

    # when
    rows = ledger(organisation_ids=[organisation.pk], year=2024)

    # then
    assert figures(rows) == {
        "Noord": (
            Decimal("450.49"),
            Decimal("33.79"),
            Decimal("15.50"),
            Decimal("45.9"),
            Decimal("45.9"),
            Decimal("16.90"),
            True,
        ),
        "Zuid": (
            Decimal("161.60"),
            Decimal("16.16"),
            Decimal("20.00"),
            Decimal("123.8"),
            Decimal("100"),
            Decimal("8.08"),
            False,
        ),
    }
    # money to the cent, as Decimal
    assert [(str(row.fees), str(row.pledge), str(row.contributed)) for row in rows] == [
        ("450.49", "33.79", "15.50"),
        ("161.60", "16.16", "20.00"),
    ]


@pytest.mark.django_db
def test_another_associations_contributions_never_count(contracts, other_organisation):
    # given the contracts of sroi_2024(), among them a row of B forged onto A's North

    # when
    own = ledger(organisation_ids=[other_organisation.pk], year=2024)
    everyone = ledger(organisation_ids=ALL_ASSOCIATIONS, year=2024)

    # then B's ledger is B's contract only, with B's own € 1 000; A's North still € 15.50
    assert [(row.contract, row.contributed) for row in own] == [
        (contracts["others"], Decimal("1000.00"))
    ]
    assert {row.contract.pk: row.contributed for row in everyone} == {
        contracts["north"].pk: Decimal("15.50"),
        contracts["south"].pk: Decimal("20.00"),
        contracts["others"].pk: Decimal("1000.00"),
    }


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "expected", "behind"),
    [
        # before the year: nothing expected yet
        (datetime.datetime(2023, 12, 31, 12, tzinfo=datetime.UTC), Decimal("0.00"), False),
        # 1 January: 1 / 366 of 33.79 = 0.0923… → 0.09
        (datetime.datetime(2024, 1, 1, 12, tzinfo=datetime.UTC), Decimal("0.09"), False),
        # 31 December: the whole pledge
        (datetime.datetime(2024, 12, 31, 12, tzinfo=datetime.UTC), Decimal("33.79"), True),
        # after the year: the whole pledge
        (datetime.datetime(2025, 3, 1, 12, tzinfo=datetime.UTC), Decimal("33.79"), True),
    ],
    ids=["before", "first-day", "last-day", "after"],
)
def test_what_is_expected_by_now_follows_the_calendar(
    organisation, other_organisation, time_machine, today, expected, behind
):
    # given
    time_machine.move_to(today, tick=False)
    contracts = sroi_2024(organisation, other_organisation)

    # when
    rows = ledger(organisation_ids=[organisation.pk], year=2024)

    # then
    north = next(row for row in rows if row.contract == contracts["north"])
    assert (north.pledge, north.expected_by_now, north.behind) == (
        Decimal("33.79"),
        expected,
        behind,
    )


@pytest.mark.django_db
def test_a_contract_without_a_pledge_is_never_behind(organisation, time_machine):
    # given
    time_machine.move_to(MIDYEAR, tick=False)
    factories.ContractFactory(
        area=factories.AreaFactory(organisation=organisation),
        sroi_pledge_percent=Decimal("0.00"),
    )

    # when
    (row,) = ledger(organisation_ids=[organisation.pk], year=2024)

    # then
    assert (row.pledge, row.contributed, row.progress, row.behind) == (
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("100.0"),
        False,
    )


@pytest.mark.django_db
def test_a_contract_of_another_year_is_not_in_the_ledger(organisation, time_machine):
    # given one contract that ended in 2023 and one that starts in 2025
    time_machine.move_to(MIDYEAR, tick=False)
    area = factories.AreaFactory(organisation=organisation)
    factories.ContractFactory(area=area, valid_until=datetime.date(2023, 12, 31))
    factories.ContractFactory(area=area, valid_from=datetime.date(2025, 1, 1))

    # when / then
    assert ledger(organisation_ids=[organisation.pk], year=2024) == []


# -- the admin page ---------------------------------------------------------------------------


@pytest.fixture
def staff_client(english_client, staff_user):
    return english_client(staff_user)


@pytest.fixture
def other_staff_client(english_client, other_staff_user):
    return english_client(other_staff_user)


@pytest.mark.django_db
def test_ledger_page_shows_pledge_progress_bar_and_who_is_behind(staff_client, contracts):
    # given the contracts of sroi_2024(), on 1 July 2024

    # when
    response = staff_client.get(LEDGER_URL, {"year": 2024})

    # then
    assert response.status_code == 200
    rows = table(response, "sroi-ledger")
    assert [row[1:] for row in rows[1:]] == [
        ["450.49", "7.50%", "33.79", "15.50", "45.9% 45.9% behind"],
        ["161.60", "10.00%", "16.16", "20.00", "123.8% 123.8%"],
    ]
    content = response.content.decode()
    assert '<progress max="100" value="45.9"' in content
    assert '<progress max="100" value="100"' in content
    assert [row.contract for row in response.context["behind"]] == [contracts["north"]]
    assert "€ 15.50 of € 16.90 expected by now" in content
    assert "Renovatie Oost" not in content
    assert "Dommel" not in content


@pytest.mark.django_db
def test_other_associations_staff_see_only_their_own_ledger(other_staff_client, contracts):
    # given the contracts of sroi_2024()

    # when
    response = other_staff_client.get(LEDGER_URL, {"year": 2024})
    listed = other_staff_client.get(reverse("admin:contractors_sroicontribution_changelist"))

    # then
    assert [row.contract for row in response.context["rows"]] == [contracts["others"]]
    content = response.content.decode()
    for name in ("Bouwbedrijf Van Dam", "Klusbedrijf De Vries", "Noord", "Zuid"):
        assert name not in content
    assert {obj.contract_id for obj in listed.context["cl"].result_list} == {
        contracts["others"].pk,
        contracts["north"].pk,  # the forged row carries B's organisation
    }


@pytest.mark.django_db
def test_ledger_page_queries_do_not_grow_with_dwellings_or_contributions(
    staff_client, contracts, organisation
):
    # given
    staff_client.get(LEDGER_URL, {"year": 2024})
    with CaptureQueriesContext(connection) as before:
        staff_client.get(LEDGER_URL, {"year": 2024})
    Dwelling.objects.bulk_create(
        Dwelling(
            organisation=organisation,
            reference=f"BULK{number}",
            street="Dorpsstraat",
            house_number=number,
            postcode="5611CD",
            city="Eindhoven",
            in_portfolio_from=datetime.date(2020, 1, 1),
        )
        for number in range(1, 501)
    )
    for day in range(1, 29):
        contribution(contracts["north"], datetime.date(2024, 2, day), "1.00")

    # when
    with CaptureQueriesContext(connection) as after:
        response = staff_client.get(LEDGER_URL, {"year": 2024})

    # then
    assert len(after.captured_queries) == len(before.captured_queries)
    north = next(row for row in response.context["rows"] if row.contract == contracts["north"])
    assert north.contributed == Decimal("43.50")


@pytest.mark.django_db
def test_staff_record_a_contribution_with_evidence_and_only_they_can_open_it(
    staff_client, other_staff_client, contracts, media_root
):
    # given a photo of the playground as evidence
    evidence = SimpleUploadedFile("speeltuin.pdf", b"%PDF-1.4 speeltuin", "application/pdf")

    # when staff record it against their contract
    response = staff_client.post(
        reverse("admin:contractors_sroicontribution_add"),
        {
            "organisation": contracts["north"].organisation_id,
            "contract": contracts["north"].pk,
            "date": "2024-06-30",
            "neighbourhood": "Woensel-Noord",
            "description": "Speeltuin Kastanjelaan",
            "value": "2.00",
            "evidence": evidence,
            "_save": "Save",
        },
    )

    # then it counts, and the evidence opens for them and for nobody else
    assert response.status_code == 302
    recorded = SroiContribution.objects.get(date=datetime.date(2024, 6, 30))
    north = next(
        row
        for row in ledger(organisation_ids=ALL_ASSOCIATIONS, year=2024)
        if row.contract.pk == recorded.contract_id
    )
    assert north.contributed == Decimal("17.50")
    url = reverse("admin:contractors_sroicontribution_evidence", args=[recorded.pk])
    own = staff_client.get(url)
    assert own.status_code == 200
    assert b"".join(own.streaming_content) == b"%PDF-1.4 speeltuin"
    assert (
        url
        in staff_client.get(
            reverse("admin:contractors_sroicontribution_changelist")
        ).content.decode()
    )
    assert other_staff_client.get(url).status_code == 404


@pytest.mark.django_db
def test_staff_cannot_record_a_contribution_on_another_associations_contract(
    other_staff_client, contracts, other_organisation
):
    # given
    before = SroiContribution.objects.count()

    # when staff of B name A's contract
    response = other_staff_client.post(
        reverse("admin:contractors_sroicontribution_add"),
        {
            "organisation": other_organisation.pk,
            "contract": contracts["north"].pk,
            "date": "2024-06-30",
            "neighbourhood": "Woensel-Noord",
            "description": "Speeltuin",
            "value": "2.00",
            "_save": "Save",
        },
    )

    # then
    assert response.status_code == 200
    assert "contract" in response.context["adminform"].form.errors
    assert SroiContribution.objects.count() == before
