"""Neighbourhoods (portal.Neighbourhood): the dwelling import carries a CBS buurt code and
name (optional columns), the association's list gains the neighbourhoods its dwellings name,
SROI contributions point at one, and the ledger totals per neighbourhood."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import translation

from contractors.models import SroiContribution
from contractors.sroi import totals_per_neighbourhood
from portal.models import Dwelling, ImportStatus, Neighbourhood
from portal.services import import_job_run, neighbourhoods_from_dwellings

from . import factories
from .queries import queries_of
from .test_imports import DWELLING_HEADER, erp_csv
from .test_imports_bulk import job_for

HEADER = [*DWELLING_HEADER, "buurtcode", "buurtnaam"]


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.mark.django_db
def test_the_import_carries_the_buurt_and_fills_the_list(organisation, media_root):
    # given
    rows = [
        ["VHE1", "Kerkplein", "1", "", "5611AB", "Eindhoven", "TUS", "2000-01-01", "", "nee",
         "bu08550101", "Centrum"],
        ["VHE2", "Kerkplein", "2", "", "5611AB", "Eindhoven", "TUS", "2000-01-01", "", "nee",
         "BU08550101", "Centrum"],
        ["VHE3", "Hoogstraat", "3", "", "5612AB", "Eindhoven", "TUS", "2000-01-01", "", "nee",
         "BU08550202", ""],
        ["VHE4", "Hoogstraat", "4", "", "5612AB", "Eindhoven", "TUS", "2000-01-01", "", "nee",
         "", ""],
    ]  # fmt: skip

    # when
    job = job_for(organisation, erp_csv(HEADER, rows))
    import_job_run(job_id=job.pk)

    # then
    job.refresh_from_db()
    assert job.status == ImportStatus.DONE
    assert list(
        Dwelling.objects.order_by("reference").values_list(
            "reference", "cbs_buurt_code", "neighbourhood_name"
        )
    ) == [
        ("VHE1", "BU08550101", "Centrum"),
        ("VHE2", "BU08550101", "Centrum"),
        ("VHE3", "BU08550202", ""),
        ("VHE4", "", ""),
    ]
    assert list(
        Neighbourhood.objects.filter(organisation=organisation)
        .order_by("cbs_buurt_code")
        .values_list("cbs_buurt_code", "name")
    ) == [("BU08550101", "Centrum"), ("BU08550202", "BU08550202")]
    # a second run adds nothing
    assert neighbourhoods_from_dwellings(organisation_id=organisation.pk) == 0


@pytest.mark.django_db
def test_a_wrong_buurt_code_is_the_rows_error(organisation, media_root):
    # given
    rows = [
        ["VHE1", "Kerkplein", "1", "", "5611AB", "Eindhoven", "TUS", "2000-01-01", "", "nee",
         "0855", "Centrum"],
    ]  # fmt: skip

    # when
    job = job_for(organisation, erp_csv(HEADER, rows))
    import_job_run(job_id=job.pk)

    # then
    job.refresh_from_db()
    assert job.status == ImportStatus.REFUSED
    assert "BU followed by 8 digits" in str(job.errors)
    assert not Dwelling.objects.exists()


@pytest.mark.django_db
def test_a_contribution_names_a_neighbourhood_of_its_own_association(
    organisation, other_organisation
):
    # given
    contract = factories.ContractFactory(area=factories.AreaFactory(organisation=organisation))
    elsewhere = Neighbourhood.objects.create(organisation=other_organisation, name="Strijp")
    contribution = SroiContribution(
        organisation=organisation,
        contract=contract,
        date=datetime.date(2026, 3, 1),
        buurt=elsewhere,
        description="Speeltuin",
        value=Decimal("100.00"),
    )

    # when / then
    with pytest.raises(ValidationError) as refused:
        contribution.full_clean()
    assert refused.value.message_dict["buurt"] == ["Pick a neighbourhood of the same association."]
    contribution.buurt = None
    with pytest.raises(ValidationError) as refused:
        contribution.full_clean()
    assert "buurt" in refused.value.message_dict


@pytest.mark.django_db
def test_the_ledger_totals_per_neighbourhood(organisation, other_organisation, client, staff_user):
    # given
    contract = factories.ContractFactory(area=factories.AreaFactory(organisation=organisation))
    centrum = Neighbourhood.objects.create(
        organisation=organisation, name="Centrum", cbs_buurt_code="BU08550101"
    )
    for day, value, buurt, text in [
        (datetime.date(2026, 2, 1), "1500.00", centrum, ""),
        (datetime.date(2026, 5, 1), "250.50", centrum, ""),
        (datetime.date(2026, 6, 1), "300.00", None, "Sportpark"),
        (datetime.date(2025, 6, 1), "999.00", centrum, ""),  # another year
    ]:
        SroiContribution.objects.create(
            organisation=organisation,
            contract=contract,
            date=day,
            buurt=buurt,
            neighbourhood=text,
            description="Bijdrage",
            value=Decimal(value),
        )
    other = factories.ContractFactory(area=factories.AreaFactory(organisation=other_organisation))
    SroiContribution.objects.create(
        organisation=other_organisation,
        contract=other,
        date=datetime.date(2026, 2, 1),
        buurt=Neighbourhood.objects.create(organisation=other_organisation, name="Strijp"),
        description="Bijdrage",
        value=Decimal("10.00"),
    )

    # when
    totals = totals_per_neighbourhood(organisation_ids=[organisation.pk], year=2026)
    client.force_login(staff_user)
    page = client.get(
        reverse("admin:contractors_sroicontribution_neighbourhoods"),
        {"year": "2026"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    # then
    assert totals == [
        {"name": "Centrum", "code": "BU08550101", "total": Decimal("1750.50"), "contributions": 2},
        {"name": "Sportpark", "code": "", "total": Decimal("300.00"), "contributions": 1},
    ]
    body = page.content.decode()
    assert "1750.50" in body
    assert "Strijp" not in body


@pytest.mark.django_db
def test_the_neighbourhood_page_asks_the_same_queries_for_1_or_50_contributions(
    organisation, client, staff_user
):
    # given
    contract = factories.ContractFactory(area=factories.AreaFactory(organisation=organisation))
    client.force_login(staff_user)
    url = reverse("admin:contractors_sroicontribution_neighbourhoods")

    def contribute(number: int) -> None:
        SroiContribution.objects.create(
            organisation=organisation,
            contract=contract,
            date=datetime.date(2026, 2, 1),
            buurt=Neighbourhood.objects.create(organisation=organisation, name=f"Buurt {number}"),
            description="Bijdrage",
            value=Decimal("10.00"),
        )

    contribute(0)
    with_one = queries_of(client, url, {"year": "2026"})
    for number in range(1, 50):
        contribute(number)

    # when
    with_fifty = queries_of(client, url, {"year": "2026"})

    # then
    assert len(with_fifty) == len(with_one)
