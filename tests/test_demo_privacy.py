"""The demo shows a former tenancy anonymised under the association's retention (AVG): its
repairs and survey answer stay as rows, their texts and the tenant's account are gone, and
staff see it marked Anonymised in the admin's tenants' data. Only that tenancy is
anonymised; the demo's accounts stay. A second run changes nothing."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from demo.privacy import FORMER_TENANT, REPAIRS, demo_privacy_write
from demo.world import DEMO_LOGINS
from portal.models import Organisation, Tenancy, User
from privacy.services import retention_cutoff
from repairs.models import RepairRequest
from surveys.models import SurveyResponse

from . import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def run_demo_data() -> str:
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_demo_holds_one_anonymised_former_tenancy_with_its_repairs(english_client):
    # given the demo data
    output = run_demo_data()
    today = timezone.localdate()
    kempen = Organisation.objects.get(slug="dekempen")

    # then exactly one tenancy is anonymised: one that ended over the retention period ago
    anonymised = Tenancy.objects.filter(anonymised_at__isnull=False)
    assert anonymised.count() == 1
    tenancy = anonymised.get()
    assert tenancy.organisation == kempen
    assert tenancy.end_date < retention_cutoff(organisation=kempen, today=today)
    assert tenancy.end_date < today - datetime.timedelta(days=730)
    assert f"Tenancy anonymised after its retention: {tenancy.contract_number}" in output
    # and its repairs stay, reported during the tenancy, with their texts blanked
    repairs = RepairRequest.objects.filter(tenancy=tenancy).order_by("created_at")
    assert repairs.count() == len(REPAIRS)
    for repair in repairs:
        assert tenancy.start_date <= timezone.localdate(repair.created_at) <= tenancy.end_date
        assert repair.status == "completed"
        assert (repair.description, repair.access_notes, repair.contact_phone) == ("", "", "")
        assert repair.reported_by is None
    # and the survey answer keeps its grade, not its comment or the consent
    response = SurveyResponse.objects.get(invitation__request__tenancy=tenancy)
    assert (response.overall_grade, response.comment, response.may_contact) == (8, "", False)
    assert response.invitation.email == ""
    # and the former tenant's account and contact details are gone, every demo login stays
    assert (tenancy.tenant, tenancy.email, tenancy.claimed_from_ip) == (None, "", None)
    assert not User.objects.filter(email=FORMER_TENANT[0]).exists()
    assert set(
        User.objects.filter(email__in=[e for _w, e in DEMO_LOGINS]).values_list("email", flat=True)
    ) == {email for _who, email in DEMO_LOGINS}
    # and other tenancies past retention are left for the nightly sweep
    assert Tenancy.objects.filter(
        organisation=kempen,
        anonymised_at__isnull=True,
        end_date__lt=retention_cutoff(organisation=kempen, today=today),
    ).exists()

    # when staff of De Kempen look the tenancy up in the tenants' data
    staff = english_client(User.objects.get(email="medewerker@dekempen.nl"))
    found = staff.get(
        reverse("admin:privacy_tenantdata_changelist"), {"q": tenancy.contract_number}
    )

    # then it is listed, marked Anonymised, without a tenant
    assert found.status_code == 200
    assert [row.pk for row in found.context["cl"].result_list] == [tenancy.pk]
    assert "Anonymised" in found.content.decode()
    # and the other association's staff do not find it
    other = english_client(User.objects.get(email="medewerker@maasoever.nl"))
    hidden = other.get(
        reverse("admin:privacy_tenantdata_changelist"), {"q": tenancy.contract_number}
    )
    assert list(hidden.context["cl"].result_list) == []

    # when the demo runs again, a day later
    with time_machine.travel(timezone.now() + datetime.timedelta(days=1), tick=False):
        again = demo_privacy_write()

    # then it finds the same tenancy and changes nothing
    assert again == tenancy
    assert Tenancy.objects.filter(anonymised_at__isnull=False).get() == tenancy
    assert Tenancy.objects.get(pk=tenancy.pk).anonymised_at == tenancy.anonymised_at
    assert RepairRequest.objects.filter(tenancy=tenancy).count() == len(REPAIRS)
    assert not User.objects.filter(email=FORMER_TENANT[0]).exists()


# The writer on a small world, at dates where the retention's months fall awkwardly.
DATES = [
    datetime.datetime(2028, 2, 29, 12, tzinfo=AMSTERDAM),  # leap day
    datetime.datetime(2027, 1, 1, 0, 30, tzinfo=AMSTERDAM),  # new year's night
    datetime.datetime(2026, 3, 31, 23, 30, tzinfo=AMSTERDAM),  # a month of 31 days
]


@pytest.mark.django_db
@pytest.mark.parametrize("moment", DATES, ids=lambda moment: moment.date().isoformat())
def test_the_former_tenancy_is_one_past_retention_whatever_the_date(moment, time_machine):
    # given De Kempen's chain with three tenancies of its dwellings: ended just over two
    # years ago, ended just under two years ago, and running
    time_machine.move_to(moment, tick=False)
    today = timezone.localdate()
    kempen = factories.OrganisationFactory(slug="dekempen", name="Woonstichting De Kempen")
    chain = factories.chain_create(organisation=kempen)
    factories.RepairCategoryFactory(organisation=kempen)
    cutoff = retention_cutoff(organisation=kempen, today=today)

    def ended(days_before_cutoff: int) -> Tenancy:
        end = cutoff - datetime.timedelta(days=days_before_cutoff)
        return factories.TenancyFactory(
            dwelling=factories.DwellingFactory(organisation=kempen, postcode="5611AB"),
            start_date=end - datetime.timedelta(days=3 * 365),
            end_date=end,
        )

    past = ended(1)
    within = ended(-1)

    # when the demo's part runs, twice
    first = demo_privacy_write()
    second = demo_privacy_write()

    # then only the tenancy past retention is anonymised, with its two repairs
    assert first == second == past
    assert list(Tenancy.objects.filter(anonymised_at__isnull=False)) == [past]
    assert RepairRequest.objects.filter(tenancy=past).count() == len(REPAIRS)
    assert not RepairRequest.objects.filter(tenancy=within).exists()
    assert Tenancy.objects.get(pk=chain.tenancy.pk).anonymised_at is None
    assert User.objects.filter(pk=chain.tenant.pk).exists()
    # and each repair was reported before the tenancy ended, and not in the future
    for created in RepairRequest.objects.filter(tenancy=past).values_list("created_at", flat=True):
        assert timezone.localdate(created) <= past.end_date < today


@pytest.mark.django_db
def test_without_the_association_or_a_tenancy_past_retention_nothing_is_written(now):
    # given no demo association
    assert demo_privacy_write() is None

    # given the association, whose tenancies all run
    factories.chain_create(organisation=factories.OrganisationFactory(slug="dekempen"))

    # when
    result = demo_privacy_write()

    # then
    assert result is None
    assert not Tenancy.objects.filter(anonymised_at__isnull=False).exists()
    assert not User.objects.filter(email=FORMER_TENANT[0]).exists()
