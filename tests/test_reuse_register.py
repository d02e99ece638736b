"""The material-reuse register (repairs/admin.py, MaterialReuseAdmin.register_view): items
reused per contractor, area and quarter (in Amsterdam time) by source, with quantities and
estimated value; the CSV says the same; the vacant dwellings that supplied materials are
listed; another association's reuse is never in it."""

import csv
import datetime
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contractors.models import Contract, DaypartKind
from repairs.models import AppointmentStatus, MaterialReuse, ReuseSource

from . import factories
from .test_fee_admin import table

REGISTER_URL = reverse("admin:repairs_materialreuse_register")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def visit(contract: Contract, starts_at: datetime.datetime):
    """A done visit under the contract, starting at the time given."""
    dwelling = factories.DwellingFactory(organisation=contract.organisation, postcode="5611AB")
    repair_request = factories.RepairRequestFactory(
        dwelling=dwelling,
        status="completed",
        contract=contract,
        contractor=contract.contractor,
    )
    slot = factories.SlotFactory(
        area=contract.area,
        contractor=contract.contractor,
        daypart=factories.DaypartFactory(contractor=contract.contractor, kind=DaypartKind.MORNING),
        date=starts_at.astimezone(AMSTERDAM).date(),
        booked=1,
    )
    return factories.AppointmentFactory(
        request=repair_request,
        slot=slot,
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=1),
        status=AppointmentStatus.DONE,
    )


def reuse(appointment, source: str, description: str, quantity: str, value: str, donor=None):
    return MaterialReuse.objects.create(
        organisation=appointment.organisation,
        appointment=appointment,
        contractor=appointment.contractor,
        description=description,
        quantity=Decimal(quantity),
        source=source,
        source_dwelling=donor,
        estimated_value=Decimal(value),
    )


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2024, month, day, hour, minute, tzinfo=AMSTERDAM)


@pytest.fixture
def register(organisation, other_organisation):
    """2024 worked out by hand.

    Bouwbedrijf Van Dam in Noord
      12 Feb 09:00           depot    binnendeur 1 × € 85.00, scharnieren 4 × € 12.50
                             vacant   aanrecht 1 × € 60.00 from VHE-LEEG-1
      31 Mar 23:30 (CEST)    depot    tegels 3 × € 9.00        → still Q1 in Amsterdam
       1 Apr 00:30 (CEST)    same     tegels 2.5 × € 7.25      → Q2 in Amsterdam (Q1 in UTC)
    Klusbedrijf De Vries in Zuid
      10 May 10:00           vacant   radiator 1 × € 40.00 from VHE-LEEG-1,
                                      binnendeur 1 × € 30.00 from VHE-LEEG-2

    Register (newest quarter first, then contractor, area, source):
      2024-Q2  Van Dam   Noord  Same dwelling     1 item   2.50   7.25
      2024-Q2  De Vries  Zuid   Vacant dwelling   2 items  2.00  70.00
      2024-Q1  Van Dam   Noord  Depot             3 items  8.00 106.50
      2024-Q1  Van Dam   Noord  Vacant dwelling   1 item   1.00  60.00
    Donors: VHE-LEEG-1 2 items € 100.00; VHE-LEEG-2 1 item € 30.00.
    Another association's depot reuse in its own Noord must not show.
    """
    north = factories.ContractFactory(
        area=factories.AreaFactory(organisation=organisation, name="Noord"),
        contractor=factories.ContractorFactory(name="Bouwbedrijf Van Dam"),
    )
    south = factories.ContractFactory(
        area=factories.AreaFactory(organisation=organisation, name="Zuid"),
        contractor=factories.ContractorFactory(name="Klusbedrijf De Vries"),
    )
    donor_1 = factories.DwellingFactory(
        organisation=organisation,
        reference="VHE-LEEG-1",
        street="Leegstraat",
        house_number=1,
        postcode="5612AA",
        is_vacant=True,
    )
    donor_2 = factories.DwellingFactory(
        organisation=organisation,
        reference="VHE-LEEG-2",
        street="Leegstraat",
        house_number=2,
        postcode="5612AA",
        is_vacant=True,
    )
    february = visit(north, at(2, 12, 9))
    reuse(february, ReuseSource.DEPOT, "Binnendeur", "1", "85.00")
    reuse(february, ReuseSource.DEPOT, "Scharnieren", "4", "12.50")
    reuse(february, ReuseSource.VACANT_DWELLING, "Aanrecht", "1", "60.00", donor=donor_1)
    reuse(visit(north, at(3, 31, 23, 30)), ReuseSource.DEPOT, "Tegels", "3", "9.00")
    reuse(visit(north, at(4, 1, 0, 30)), ReuseSource.SAME_DWELLING, "Tegels", "2.5", "7.25")
    may = visit(south, at(5, 10, 10))
    reuse(may, ReuseSource.VACANT_DWELLING, "Radiator", "1", "40.00", donor=donor_1)
    reuse(may, ReuseSource.VACANT_DWELLING, "Binnendeur", "1", "30.00", donor=donor_2)

    others = factories.ContractFactory(
        area=factories.AreaFactory(organisation=other_organisation, name="Dommel-Noord"),
        contractor=factories.ContractorFactory(name="Renovatie Oost"),
    )
    other_donor = factories.DwellingFactory(
        organisation=other_organisation, reference="VHE-ANDER-1", is_vacant=True
    )
    other_visit = visit(others, at(2, 12, 9))
    reuse(other_visit, ReuseSource.DEPOT, "Kozijn", "1", "500.00")
    reuse(other_visit, ReuseSource.VACANT_DWELLING, "Wastafel", "1", "50.00", donor=other_donor)


EXPECTED = [
    ["2024-Q2", "Bouwbedrijf Van Dam", "Noord", "Same dwelling", "1", "2.50", "7.25"],
    ["2024-Q2", "Klusbedrijf De Vries", "Zuid", "Vacant dwelling", "2", "2.00", "70.00"],
    ["2024-Q1", "Bouwbedrijf Van Dam", "Noord", "Depot", "3", "8.00", "106.50"],
    ["2024-Q1", "Bouwbedrijf Van Dam", "Noord", "Vacant dwelling", "1", "1.00", "60.00"],
]


@pytest.fixture
def staff_client(english_client, staff_user):
    return english_client(staff_user)


@pytest.fixture
def other_staff_client(english_client, other_staff_user):
    return english_client(other_staff_user)


@pytest.mark.django_db
def test_register_sums_per_contractor_area_quarter_and_source(staff_client, register):
    # given the reuse of register()

    # when
    response = staff_client.get(REGISTER_URL)

    # then
    assert response.status_code == 200
    assert table(response, "reuse-register")[1:] == EXPECTED
    assert [(row["quantity"], row["value"]) for row in response.context["table"]] == [
        (Decimal("2.50"), Decimal("7.25")),
        (Decimal("2.00"), Decimal("70.00")),
        (Decimal("8.00"), Decimal("106.50")),
        (Decimal("1.00"), Decimal("60.00")),
    ]


@pytest.mark.django_db
def test_register_csv_equals_the_page(staff_client, register):
    # given the reuse of register()

    # when
    response = staff_client.get(REGISTER_URL, {"format": "csv"})

    # then
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="hergebruik.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows == [
        ["quarter", "contractor", "area", "source", "items", "quantity", "value"],
        *EXPECTED,
    ]
    assert rows[1:] == table(staff_client.get(REGISTER_URL), "reuse-register")[1:]


@pytest.mark.django_db
def test_vacant_dwellings_that_supplied_materials_are_listed(staff_client, register):
    # given the reuse of register()

    # when
    response = staff_client.get(REGISTER_URL)

    # then
    donors = [
        (donor["source_dwelling__reference"], donor["items"], donor["value"])
        for donor in response.context["donors"]
    ]
    assert donors == [
        ("VHE-LEEG-1", 2, Decimal("100.00")),
        ("VHE-LEEG-2", 1, Decimal("30.00")),
    ]
    content = response.content.decode()
    assert "VHE-LEEG-1 · Leegstraat 1 · 2 items · € 100.00" in content
    assert "VHE-LEEG-2 · Leegstraat 2 · 1 item · € 30.00" in content


@pytest.mark.django_db
def test_other_associations_reuse_is_absent(other_staff_client, staff_client, register):
    # given the reuse of register(), seen by staff of B

    # when
    page = other_staff_client.get(REGISTER_URL)
    exported = other_staff_client.get(REGISTER_URL, {"format": "csv"})
    own_page = staff_client.get(REGISTER_URL).content.decode()

    # then B sees only its own, and A none of B's
    assert table(page, "reuse-register")[1:] == [
        ["2024-Q1", "Renovatie Oost", "Dommel-Noord", "Depot", "1", "1.00", "500.00"],
        ["2024-Q1", "Renovatie Oost", "Dommel-Noord", "Vacant dwelling", "1", "1.00", "50.00"],
    ]
    assert [donor["source_dwelling__reference"] for donor in page.context["donors"]] == [
        "VHE-ANDER-1"
    ]
    for name in ("Van Dam", "De Vries", "VHE-LEEG", ",Noord,", ">Noord<", "Zuid"):
        assert name not in page.content.decode()
        assert name not in exported.content.decode()
    for name in ("Renovatie Oost", "Dommel-Noord", "VHE-ANDER-1", "Kozijn"):
        assert name not in own_page


@pytest.mark.django_db
def test_register_is_refused_to_anyone_but_staff(client, register):
    # given a tenant and a staff user without the permission to view reuse
    tenant = factories.UserFactory()
    staff_without = factories.UserFactory(is_staff=True)

    # when
    anonymous = client.get(REGISTER_URL)
    client.force_login(tenant)
    as_tenant = client.get(REGISTER_URL)
    client.force_login(staff_without)
    as_staff_without = client.get(REGISTER_URL, {"format": "csv"})

    # then
    assert anonymous.status_code == as_tenant.status_code == 302
    assert as_staff_without.status_code == 403


@pytest.mark.django_db
def test_register_queries_do_not_grow_with_reuse(staff_client, register, organisation):
    # given
    staff_client.get(REGISTER_URL)
    with CaptureQueriesContext(connection) as before:
        staff_client.get(REGISTER_URL)
    north = Contract.objects.get(area__name="Noord", organisation=organisation)
    for day in range(1, 21):
        reuse(visit(north, at(6, day, 9)), ReuseSource.DEPOT, "Plint", "1", "1.00")

    # when
    with CaptureQueriesContext(connection) as after:
        response = staff_client.get(REGISTER_URL)

    # then
    assert len(after.captured_queries) == len(before.captured_queries)
    assert table(response, "reuse-register")[1] == [
        "2024-Q2",
        "Bouwbedrijf Van Dam",
        "Noord",
        "Depot",
        "20",
        "20.00",
        "20.00",
    ]
