"""Reports read from the replica; writes never go there.

The replica is Django's test mirror of default (portal.test_settings): the same test database
over its own connection, so these tests commit their rows (transaction=True) and turn
REPORTING_REPLICA on, which every other test leaves off.
"""

import datetime
from decimal import Decimal

import pytest
from django.db import connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contractors.models import FeeStatement, FeeStatementLine, PeriodKind
from portal.db_router import reporting_reads
from portal.models import Organisation

from . import factories

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica(settings):
    settings.REPORTING_REPLICA = "replica"
    return "replica"


def statements(captured) -> list[str]:
    return [query["sql"].split()[0].upper() for query in captured.captured_queries]


def test_a_report_reads_from_the_replica(replica):
    # given an association written to the primary
    factories.OrganisationFactory(name="Woonstichting Kempenland", slug="kempenland")

    # when a report reads it
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(connections["replica"]) as mirror,
    ):
        with reporting_reads():
            names = list(Organisation.objects.values_list("name", flat=True))
        # and a page outside the report reads it too
        outside = Organisation.objects.get(slug="kempenland")

    # then the report's read went to the replica, the page's to the primary
    assert names == ["Woonstichting Kempenland"]
    assert statements(mirror) == ["SELECT"]
    assert statements(primary) == ["SELECT"]
    assert outside._state.db == "default"


def test_writes_never_go_to_the_replica(replica):
    # given an association, read inside a report (so it came from the replica)
    factories.OrganisationFactory(name="Woonbron Dommeldal", slug="dommeldal")
    with CaptureQueriesContext(connections["replica"]) as mirror:
        with reporting_reads():
            organisation = Organisation.objects.get(slug="dommeldal")
            # when it is changed inside the report, and a new one is made there
            organisation.emergency_phone = "0800 000 11 11"
            organisation.save(update_fields=["emergency_phone"])
            factories.OrganisationFactory(name="Woonstichting Tilburg", slug="tilburg")
        # and changed again after it
        organisation.contact_phone = "013 000 00 00"
        organisation.save(update_fields=["contact_phone"])

    # then the replica was only read from
    assert organisation._state.db == "default"
    assert statements(mirror) == ["SELECT"]
    # and the primary holds every change
    stored = Organisation.objects.using("default").get(slug="dommeldal")
    assert (stored.emergency_phone, stored.contact_phone) == ("0800 000 11 11", "013 000 00 00")
    assert Organisation.objects.using("default").filter(slug="tilburg").exists()


def test_inside_a_transaction_a_report_reads_what_was_just_written(replica):
    with CaptureQueriesContext(connections["replica"]) as mirror, transaction.atomic():
        factories.OrganisationFactory(name="Woonstichting Kempenland", slug="kempenland")
        with reporting_reads():
            found = Organisation.objects.filter(slug="kempenland").exists()

    assert found
    assert statements(mirror) == []


def test_without_a_replica_reports_read_from_the_primary(settings):
    # given no replica configured (the default)
    assert settings.REPORTING_REPLICA is None
    factories.OrganisationFactory(name="Woonstichting Kempenland", slug="kempenland")

    with CaptureQueriesContext(connections["replica"]) as mirror, reporting_reads():
        assert Organisation.objects.count() == 1

    assert statements(mirror) == []


def test_reporting_reads_also_decorates_a_view(replica):
    factories.OrganisationFactory(name="Woonstichting Kempenland", slug="kempenland")

    @reporting_reads()
    def report():
        return Organisation.objects.count()

    with CaptureQueriesContext(connections["replica"]) as mirror:
        assert report() == 1
        assert Organisation.objects.count() == 1

    assert statements(mirror) == ["SELECT"]


def test_an_issued_statements_csv_reads_its_lines_from_the_replica(replica, client):
    # given an issued statement with one frozen line
    organisation = factories.OrganisationFactory(name="Woonstichting Kempenland", slug="kempenland")
    staff = factories.StaffUserFactory(email="staff@kempenland.nl", organisation=organisation)
    contract = factories.ContractFactory(organisation=organisation)
    statement = FeeStatement.objects.create(
        organisation=organisation,
        period_kind=PeriodKind.MONTH,
        period_start=datetime.date(2026, 2, 1),
        period_end=datetime.date(2026, 2, 28),
        total=Decimal("58.85"),
        issued_by=staff,
    )
    FeeStatementLine.objects.create(
        organisation=organisation,
        statement=statement,
        contract=contract,
        contractor_name="Kempen Installatietechniek",
        area_name="Centrum",
        dwellings_start=10,
        dwellings_end=10,
        dwelling_days=280,
        fee_per_dwelling_year=Decimal("76.72"),
        amount=Decimal("58.85"),
    )
    client.force_login(staff)

    # when staff download its CSV
    with CaptureQueriesContext(connections["replica"]) as mirror:
        response = client.get(reverse("admin:contractors_feestatement_csv", args=[statement.pk]))

    # then the lines come from the replica, and the CSV holds them
    assert response.status_code == 200
    assert any("contractors_feestatementline" in q["sql"] for q in mirror.captured_queries)
    assert "Kempen Installatietechniek" in response.content.decode()
