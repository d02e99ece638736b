"""The fee pages of the admin: the period page with its CSV, issuing a frozen statement and a
correction, the contract list with today's figures, scoping and query counts.

The figures are those of February 2024 worked out by hand in tests/test_fees.py.
"""

import csv
import datetime
import io
from decimal import Decimal
from html.parser import HTMLParser

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from contractors.models import Contract, ContractTypeFee, FeeStatement
from portal.models import Dwelling

from . import factories
from .queries import count_queries_settled, statements_of
from .test_fees import EXPECTED_LINES, EXPECTED_TOTAL, february_2024, line_figures

PERIOD_URL = reverse("admin:contractors_feestatement_period")
FEBRUARY = {"kind": "month", "day": "2024-02-01"}
CSV_HEADER = [
    "contractor",
    "area",
    "dwellings_start",
    "dwellings_end",
    "dwelling_days",
    "fee_per_dwelling_year",
    "fees_per_type",
    "amount",
]
# The page and the CSV of February 2024 (tests/test_fees.py), as a person reads them.
FEBRUARY_ROWS = [
    ["Bouwbedrijf Van Dam", "Noord", "4", "4", "127", "180.00", "Gallery flat: € 150.00", "58.85"],
    ["Klusbedrijf De Vries", "Zuid", "0", "2", "25", "184.83", "", "12.63"],
]


class TableParser(HTMLParser):
    """The text of each row of one table, cell by cell (th and td alike)."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id = table_id
        self.inside = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table" and dict(attrs).get("id") == self.table_id:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in {"td", "th"}:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in {"td", "th"} and self.cell is not None:
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def table(response, table_id: str) -> list[list[str]]:
    parser = TableParser(table_id)
    parser.feed(response.content.decode())
    return parser.rows


def csv_rows(response) -> list[list[str]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def february(organisation):
    return february_2024(organisation)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def other_staff_client(english_client, other_staff_user):
    return english_client(other_staff_user)


@pytest.mark.django_db
def test_period_page_shows_the_hand_computed_cents_and_the_rounding_rule(staff_client, february):
    # given the world of February 2024

    # when
    response = staff_client.get(PERIOD_URL, FEBRUARY)

    # then the lines, as computed and as shown
    assert response.status_code == 200
    assert line_figures(response.context["lines"]) == EXPECTED_LINES
    assert response.context["total"] == EXPECTED_TOTAL
    assert response.context["totals"] == [
        ("Bouwbedrijf Van Dam", Decimal("58.85")),
        ("Klusbedrijf De Vries", Decimal("12.63")),
    ]
    rows = table(response, "fee-lines")
    assert rows[1:3] == [[*row[:6], row[6] or "–", row[7]] for row in FEBRUARY_ROWS]
    # per contractor and overall
    assert rows[3:] == [
        ["Total Bouwbedrijf Van Dam", "58.85"],
        ["Total Klusbedrijf De Vries", "12.63"],
        ["Total", "71.48"],
    ]
    assert "Rounding: per contract line, to the cent, half up" in response.content.decode()


@pytest.mark.django_db
def test_period_csv_equals_the_page(staff_client, february):
    # given the page of February 2024
    page = table(staff_client.get(PERIOD_URL, FEBRUARY), "fee-lines")

    # when
    response = staff_client.get(PERIOD_URL, {**FEBRUARY, "format": "csv"})

    # then the same lines and the same total
    rows = csv_rows(response)
    assert response["Content-Disposition"] == (
        'attachment; filename="vergoeding-2024-02-01-2024-02-29.csv"'
    )
    assert rows == [
        CSV_HEADER,
        *FEBRUARY_ROWS,
        ["", "", "", "", "", "", "total", "71.48"],
    ]
    assert [row[:6] + row[7:] for row in rows[1:3]] == [row[:6] + row[7:] for row in page[1:3]]
    assert rows[-1][-1] == page[-1][-1]


@pytest.mark.django_db
def test_quarter_and_year_pages_cover_their_whole_period(staff_client, february):
    # given the world of February 2024

    # when
    quarter = staff_client.get(PERIOD_URL, {"kind": "quarter", "day": "2024-02-17"})
    year = staff_client.get(PERIOD_URL, {"kind": "year", "day": "2024-02-17"})

    # then (North over the first quarter: see test_fees.py)
    assert (quarter.context["start"], quarter.context["end"]) == (
        datetime.date(2024, 1, 1),
        datetime.date(2024, 3, 31),
    )
    assert quarter.context["lines"][0].amount == Decimal("203.69")
    assert (year.context["start"], year.context["end"]) == (
        datetime.date(2024, 1, 1),
        datetime.date(2024, 12, 31),
    )


@pytest.mark.django_db
def test_staff_issue_a_statement_that_stays_frozen(staff_client, staff_user, february):
    # given the page of February 2024

    # when staff issue it
    response = staff_client.post(
        f"{PERIOD_URL}?kind=month&day=2024-02-01",
        {"organisation": february.organisation.pk, **FEBRUARY},
    )

    # then a statement holds the lines as they were
    statement = FeeStatement.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse(
        "admin:contractors_feestatement_change", args=[statement.pk]
    )
    assert (statement.organisation, statement.issued_by, statement.total) == (
        february.organisation,
        staff_user,
        EXPECTED_TOTAL,
    )
    issued_csv = csv_rows(
        staff_client.get(reverse("admin:contractors_feestatement_csv", args=[statement.pk]))
    )
    assert issued_csv == [CSV_HEADER, *FEBRUARY_ROWS, ["", "", "", "", "", "", "total", "71.48"]]

    # when fees and a dwelling change afterwards
    Contract.objects.filter(pk=february.north.pk).update(fee_per_dwelling_year=Decimal("240.00"))
    ContractTypeFee.objects.filter(contract=february.north).update(
        fee_per_dwelling_year=Decimal("200.00")
    )
    Dwelling.objects.filter(pk=february.leaving.pk).update(in_portfolio_until=None)

    # then the issued statement, its page and its CSV do not change; the live page does
    after_csv = csv_rows(
        staff_client.get(reverse("admin:contractors_feestatement_csv", args=[statement.pk]))
    )
    assert after_csv == issued_csv
    change_page = staff_client.get(
        reverse("admin:contractors_feestatement_change", args=[statement.pk])
    )
    assert change_page.status_code == 200
    assert reverse("admin:contractors_feestatement_csv", args=[statement.pk]) in (
        change_page.content.decode()
    )
    inline = change_page.context["inline_admin_formsets"][0].formset
    assert [form.instance.amount for form in inline.forms] == [
        Decimal("58.85"),
        Decimal("12.63"),
    ]
    live = staff_client.get(PERIOD_URL, FEBRUARY)
    assert live.context["lines"][0].amount != Decimal("58.85")
    assert list(live.context["issued"]) == [statement]


@pytest.mark.django_db
def test_a_correction_through_the_page_references_the_old_statement(
    staff_client, staff_user, february
):
    # given an issued February 2024, after which the leaving dwelling turns out to have stayed
    staff_client.post(PERIOD_URL, {"organisation": february.organisation.pk, **FEBRUARY})
    first = FeeStatement.objects.get()
    Dwelling.objects.filter(pk=february.leaving.pk).update(in_portfolio_until=None)

    # when staff issue a correction of it
    response = staff_client.post(
        PERIOD_URL,
        {"organisation": february.organisation.pk, **FEBRUARY, "corrects": first.pk},
    )

    # then
    correction = FeeStatement.objects.exclude(pk=first.pk).get()
    assert response.status_code == 302
    assert correction.corrects == first
    assert correction.total == Decimal("75.91")
    first.refresh_from_db()
    assert first.total == EXPECTED_TOTAL


@pytest.mark.django_db
def test_issuing_a_period_twice_without_a_correction_is_refused(staff_client, february):
    # given an issued February 2024
    staff_client.post(PERIOD_URL, {"organisation": february.organisation.pk, **FEBRUARY})

    # when it is posted again, not as a correction
    response = staff_client.post(
        PERIOD_URL, {"organisation": february.organisation.pk, **FEBRUARY}, follow=True
    )

    # then
    assert FeeStatement.objects.count() == 1
    assert [str(message) for message in response.context["messages"]][-1] == (
        "This period has already been issued; issue a correction of that statement."
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "posted",
    [{"kind": "decade", "day": "2024-02-01"}, {"kind": "month", "day": "29-02-2024x"}, {}],
    ids=["unknown-kind", "bad-day", "nothing"],
)
def test_issuing_a_bad_period_writes_nothing(staff_client, february, posted):
    # given / when
    response = staff_client.post(PERIOD_URL, {"organisation": february.organisation.pk, **posted})

    # then
    assert response.status_code == 302
    assert FeeStatement.objects.count() == 0


@pytest.mark.django_db
def test_staff_without_the_permission_to_issue_cannot(client, organisation, february):
    # given staff of the association who may only look
    looker = factories.StaffUserFactory(organisation=organisation)
    looker.groups.clear()
    looker.user_permissions.add(
        *Group.objects.get().permissions.filter(codename="view_feestatement")
    )
    client.force_login(looker)

    # when
    page = client.get(PERIOD_URL, FEBRUARY)
    issue = client.post(PERIOD_URL, {"organisation": organisation.pk, **FEBRUARY})

    # then
    assert page.status_code == 200
    assert page.context["can_issue"] is False
    assert issue.status_code == 403
    assert FeeStatement.objects.count() == 0


@pytest.mark.django_db
def test_the_fee_pages_need_a_staff_login(client, february):
    # given an issued statement
    client.force_login(factories.StaffUserFactory(organisation=february.organisation))
    client.post(PERIOD_URL, {"organisation": february.organisation.pk, **FEBRUARY})
    statement = FeeStatement.objects.get()
    client.logout()
    tenant = factories.UserFactory()

    # when
    anonymous = [
        client.get(PERIOD_URL, FEBRUARY),
        client.get(reverse("admin:contractors_feestatement_csv", args=[statement.pk])),
    ]
    client.force_login(tenant)
    as_tenant = [
        client.get(PERIOD_URL, FEBRUARY),
        client.get(reverse("admin:contractors_feestatement_csv", args=[statement.pk])),
    ]

    # then both are sent to the admin login
    for response in [*anonymous, *as_tenant]:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


# -- scoping ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_other_associations_staff_see_none_of_it(
    staff_client, other_staff_client, february, other_organisation
):
    # given an issued February 2024 of association A
    staff_client.post(PERIOD_URL, {"organisation": february.organisation.pk, **FEBRUARY})
    statement = FeeStatement.objects.get()

    # when staff of B look for it
    change = other_staff_client.get(
        reverse("admin:contractors_feestatement_change", args=[statement.pk])
    )
    statement_csv = other_staff_client.get(
        reverse("admin:contractors_feestatement_csv", args=[statement.pk])
    )
    listed = other_staff_client.get(reverse("admin:contractors_feestatement_changelist"))
    page = other_staff_client.get(
        PERIOD_URL, {**FEBRUARY, "organisation": february.organisation.pk}
    )
    page_csv = other_staff_client.get(
        PERIOD_URL, {**FEBRUARY, "organisation": february.organisation.pk, "format": "csv"}
    )

    # then
    assert (change.status_code, statement_csv.status_code) == (404, 404)
    assert list(listed.context["cl"].result_list) == []
    assert page.context["organisation"] == other_organisation
    assert list(page.context["organisations"]) == [other_organisation]
    assert list(page.context["issued"]) == []
    # B's own contract in 5611 (no dwellings of B there in February) is all B sees
    assert [line.contract.organisation_id for line in page.context["lines"]] == [
        other_organisation.pk
    ]
    assert february.organisation.name not in page.content.decode()
    for name in ("Bouwbedrijf Van Dam", "Klusbedrijf De Vries", "Noord", "Zuid"):
        assert name not in page.content.decode()
        assert name not in page_csv.content.decode()


@pytest.mark.django_db
def test_other_associations_staff_cannot_issue_or_correct_for_it(
    staff_client, other_staff_client, february, other_organisation
):
    # given an issued February 2024 of association A
    staff_client.post(PERIOD_URL, {"organisation": february.organisation.pk, **FEBRUARY})
    statement = FeeStatement.objects.get()

    # when staff of B post a correction of A's statement, naming A
    response = other_staff_client.post(
        PERIOD_URL,
        {"organisation": february.organisation.pk, **FEBRUARY, "corrects": statement.pk},
    )

    # then
    assert response.status_code == 404
    assert list(FeeStatement.objects.all()) == [statement]
    assert not FeeStatement.objects.filter(organisation=february.organisation).exclude(
        pk=statement.pk
    )


@pytest.mark.django_db
def test_superuser_picks_the_association(client, superuser, february, other_organisation):
    # given
    client.force_login(superuser)

    # when
    chosen = client.get(PERIOD_URL, {**FEBRUARY, "organisation": february.organisation.pk})
    other = client.get(PERIOD_URL, {**FEBRUARY, "organisation": other_organisation.pk})

    # then
    assert line_figures(chosen.context["lines"]) == EXPECTED_LINES
    assert [line.contract.organisation_id for line in other.context["lines"]] == [
        other_organisation.pk
    ]


# -- query counts -----------------------------------------------------------------------------


def _add_dwellings(organisation, count: int, start: int) -> None:
    """Dwellings in North (5611), some entering and leaving in February and some gallery flats,
    written in one statement."""
    Dwelling.objects.bulk_create(
        Dwelling(
            organisation=organisation,
            reference=f"BULK{number:06d}",
            street="Dorpsstraat",
            house_number=number,
            postcode="5611CD",
            city="Eindhoven",
            dwelling_type="GAL" if number % 3 == 0 else "TUS",
            in_portfolio_from=datetime.date(2024, 2, number % 20 + 1),
            in_portfolio_until=datetime.date(2024, 2, 25) if number % 5 == 0 else None,
        )
        for number in range(start, start + count)
    )


def _queries(client, params) -> int:
    return count_queries_settled(client, PERIOD_URL, params)


@pytest.mark.django_db
def test_fee_page_queries_do_not_grow_with_dwellings(
    staff_client, february, django_assert_max_num_queries
):
    # given 10 more dwellings, then 1000 more
    _add_dwellings(february.organisation, 10, start=1000)
    with_ten = _queries(staff_client, FEBRUARY)
    csv_with_ten = _queries(staff_client, {**FEBRUARY, "format": "csv"})
    _add_dwellings(february.organisation, 990, start=2000)

    # when
    with_thousand = _queries(staff_client, FEBRUARY)
    csv_with_thousand = _queries(staff_client, {**FEBRUARY, "format": "csv"})
    with django_assert_max_num_queries(20):
        response = staff_client.get(PERIOD_URL, FEBRUARY)

    # then
    assert Dwelling.objects.filter(organisation=february.organisation).count() == 1011
    assert (with_thousand, csv_with_thousand) == (with_ten, csv_with_ten)
    assert response.context["lines"][0].dwellings_end > 800


@pytest.mark.django_db
def test_statement_pages_queries_do_not_grow_with_dwellings(
    staff_client, february, django_assert_max_num_queries
):
    # given February 2024 issued over 10 more dwellings, and March over 1000 more
    _add_dwellings(february.organisation, 10, start=1000)
    staff_client.post(PERIOD_URL, {"organisation": february.organisation.pk, **FEBRUARY})
    small = FeeStatement.objects.get()
    _add_dwellings(february.organisation, 990, start=2000)
    issuing = statements_of(
        lambda: staff_client.post(
            PERIOD_URL,
            {"organisation": february.organisation.pk, "kind": "month", "day": "2024-03-01"},
        )
    )
    large = FeeStatement.objects.exclude(pk=small.pk).get()
    assert large.lines.get(area_name="Noord").dwellings_end > 800

    # when
    def pages(statement) -> list[int]:
        counts = []
        for name in ("change", "csv"):
            url = reverse(f"admin:contractors_feestatement_{name}", args=[statement.pk])
            counts.append(count_queries_settled(staff_client, url))
        return counts

    # then
    assert pages(large) == pages(small)
    assert len(issuing) < 40


# -- contracts at a glance --------------------------------------------------------------------


@pytest.mark.django_db
def test_contract_list_and_page_show_todays_figures(
    staff_client, february, time_machine, django_assert_max_num_queries
):
    # given today is 25 February 2024 and North completed 3 repairs in the last year
    now = datetime.datetime(2024, 2, 25, 12, tzinfo=datetime.UTC)
    time_machine.move_to(now, tick=False)
    for days_ago in (1, 100, 364):
        factories.RepairRequestFactory(
            dwelling=february.type_changed,
            status="completed",
            contract=february.north,
            contractor=february.north.contractor,
            completed_at=now - datetime.timedelta(days=days_ago),
        )

    # when
    listed = staff_client.get(reverse("admin:contractors_contract_changelist"))
    page = staff_client.get(reverse("admin:contractors_contract_change", args=[february.north.pk]))

    # then (figures worked out in test_fees.py)
    rows = {row[1]: row[1:] for row in table(listed, "result_list")[1:]}
    assert rows["Bouwbedrijf Van Dam"][1:] == [
        "Noord",
        "Jan. 1, 2020",
        "-",
        "180.00",
        "Gallery flat: € 150.00",
        "4",
        "660.00",
        "220.00",
        "5.00",
    ]
    assert rows["Klusbedrijf De Vries"][1:] == [
        "Zuid",
        "Feb. 16, 2024",
        "-",
        "184.83",
        "–",
        "2",
        "369.66",
        "–",
        "5.00",
    ]
    assert page.status_code == 200
    readonly = {
        str(field.field["label"]): str(field.contents())
        for fieldset in page.context["adminform"]
        for line in fieldset
        for field in line
        if field.is_readonly
    }
    assert readonly == {
        "dwellings today": "4",
        "annual fee today (€)": "660.00",
        "fee per completed repair, last 12 months (€)": "220.00",
    }


@pytest.mark.django_db
def test_contract_list_queries_do_not_grow_with_dwellings(staff_client, february):
    # given
    url = reverse("admin:contractors_contract_changelist")
    _add_dwellings(february.organisation, 10, start=1000)
    staff_client.get(url)
    with CaptureQueriesContext(connection) as with_ten:
        staff_client.get(url)
    _add_dwellings(february.organisation, 990, start=2000)

    # when
    with CaptureQueriesContext(connection) as with_thousand:
        response = staff_client.get(url)

    # then
    assert len(with_thousand.captured_queries) == len(with_ten.captured_queries)
    assert {contract.pk for contract in response.context["cl"].result_list} == {
        february.north.pk,
        february.south.pk,
    }
