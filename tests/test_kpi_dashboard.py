"""The KPI dashboard in the admin (/admin/surveys/kpidashboard/) and the contractor's own
figures (/aannemer/kpi/): exactly the hand-computed figures of tests/test_kpis.py in the table
and the CSV, filters, scoping, anonymity and query counts. The charts: tests/test_kpi_charts.py."""

import csv
import io
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from contractors.models import ContractorRole
from repairs.lifecycle import Status
from surveys import tasks
from surveys.rollup import kpi_rollup_rebuild

from . import factories
from .queries import count_queries
from .test_kpis import TODAY, World, at, d, kpi_world_create, repair

DASHBOARD = "admin:surveys_kpidashboard_changelist"
CONTRACTOR_KPIS = "contractor_kpis"
M, A = "morning", "afternoon"

# The table as staff read it in English for the last 3 months (January to March 2026):
# month, contractor, area, completed, mean grade, 8+, 5-, response rate, first-time fix,
# lead time median and p90 (h), emergencies within 24 h, appointments kept, no access, and
# emergencies and repairs within norm ("–": these past repairs were written without deadlines),
# and repeat repairs (none here: tests/test_repeat_repairs.py pins a set with some).
# Hand-computed in tests/test_kpis.py (EXPECTED).
TABLE = [
    ["Jan 2026", "Aalbers Onderhoud", "Noord", "3", "6.50", "50.0%", "50.0%", "66.7% (2/3)",
     "66.7%", "48.0", "67.2", "50.0% (1/2)", "57.1% (4/7)", "1", "–", "–", "0.0% (0/3)"],
    ["Jan 2026", "Bakker Installatietechniek", "Zuid", "4", "6.67", "33.3%", "33.3%",
     "75.0% (3/4)", "75.0%", "37.4", "51.2", "100.0% (1/1)", "83.3% (5/6)", "1", "–", "–", "0.0% (0/4)"],
    ["Feb 2026", "Aalbers Onderhoud", "Noord", "3", "8.00", "50.0%", "0.0%", "66.7% (2/3)",
     "100.0%", "72.0", "206.4", "–", "100.0% (2/2)", "0", "–", "–", "0.0% (0/3)"],
    ["Feb 2026", "Bakker Installatietechniek", "Zuid", "2", "6.00", "50.0%", "50.0%",
     "100.0% (2/2)", "50.0%", "15.5", "26.3", "–", "100.0% (3/3)", "0", "–", "–", "0.0% (0/2)"],
]  # fmt: skip
CSV_HEADER = (
    "month,contractor,area,completed,mean_grade,share_8_plus_pct,share_5_or_lower_pct,"
    "responses,invitations_sent,response_rate_pct,first_time_fix_pct,lead_time_median_h,"
    "lead_time_p90_h,emergencies,emergencies_within_24h_pct,visits_due,appointments_kept_pct,"
    "no_access_visits"
)
CSV_ROWS = [
    "2026-01,Aalbers Onderhoud,Noord,3,6.50,50.0,50.0,2,3,66.7,66.7,48.0,67.2,2,50.0,7,57.1,1",
    "2026-01,Bakker Installatietechniek,Zuid,4,6.67,33.3,33.3,3,4,75.0,75.0,37.4,51.2,1,100.0,6,83.3,1",
    "2026-02,Aalbers Onderhoud,Noord,3,8.00,50.0,0.0,2,3,66.7,100.0,72.0,206.4,0,,2,100.0,0",
    "2026-02,Bakker Installatietechniek,Zuid,2,6.00,50.0,50.0,2,2,100.0,50.0,15.5,26.3,0,,3,100.0,0",
]  # fmt: skip
# The other association's only row: contractor A in its area Dommeldal.
THEIR_ROW = ["Jan 2026", "Aalbers Onderhoud", "Dommeldal", "1", "1.00", "0.0%", "100.0%",
             "100.0% (1/1)", "0.0%", "3.0", "3.0", "–", "100.0% (1/1)", "0", "–", "–", "0.0% (0/1)"]  # fmt: skip


class _Table(HTMLParser):
    """The body rows of the table with id="kpi-table", as whitespace-normalised cell texts."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.in_body = False
        self.rows: list[list[str]] = []
        self.cell: list[str] | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "table" and ("id", "kpi-table") in attrs:
            self.depth = 1
        elif self.depth and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag in ("td", "th"):
            self.cell = []

    def handle_endtag(self, tag) -> None:
        if self.cell is not None and tag in ("td", "th"):
            self.rows[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tbody":
            self.in_body = False
        elif tag == "table":
            self.depth = 0

    def handle_data(self, data) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table_rows(response) -> list[list[str]]:
    parser = _Table()
    parser.feed(response.content.decode())
    return parser.rows


def csv_lines(response) -> list[str]:
    return [",".join(row) for row in csv.reader(io.StringIO(response.content.decode()))]


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(TODAY, tick=False)
    return time_machine


@pytest.fixture
def world(db, clock, organisation, other_organisation) -> World:
    world = kpi_world_create(organisation, other_organisation)
    # The pages read the monthly rollup; the world is written straight to the database, so
    # it is computed as after a bulk load (December and January are older than the months
    # the periodic refresh covers).
    kpi_rollup_rebuild()
    return world


@pytest.fixture
def english(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def staff_client(english, world, staff_user):
    english.force_login(staff_user)
    return english


def member(contractor, role=ContractorRole.PLANNER):
    return factories.ContractorMembershipFactory(contractor=contractor, role=role).user


def dashboard(client, **params):
    return client.get(reverse(DASHBOARD), params)


# -- the staff dashboard -------------------------------------------------------------------


def test_the_dashboard_shows_the_hand_computed_figures(staff_client):
    # given

    # when
    response = dashboard(staff_client, months="3")

    # then
    assert response.status_code == 200
    assert table_rows(response) == TABLE
    assert [(option.pk, option.name) for option in response.context["contractors"]] == [
        (row.contractor_id, row.contractor) for row in response.context["rows"][:2]
    ]


def test_the_csv_holds_exactly_the_same_figures(staff_client):
    # given

    # when
    response = dashboard(staff_client, months="3", format="csv")

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="kpi.csv"'
    assert csv_lines(response) == [CSV_HEADER, *CSV_ROWS]


def test_the_period_filter(staff_client):
    # given

    # when
    twelve = dashboard(staff_client)
    six = dashboard(staff_client, months="6", format="csv")
    nonsense = dashboard(staff_client, months="1000")

    # then December 2025 falls within 6 and 12 months; an unknown period means 12
    december = ["Dec 2025", "Aalbers Onderhoud", "Noord", "1", "10.00", "100.0%", "0.0%",
                "100.0% (1/1)", "100.0%", "2.0", "2.0", "–", "100.0% (1/1)", "0", "–", "–", "0.0% (0/1)"]  # fmt: skip
    assert table_rows(twelve) == [december, *TABLE]
    assert csv_lines(six)[1].startswith("2025-12,Aalbers Onderhoud,Noord,1,10.00,")
    assert csv_lines(six)[2:] == CSV_ROWS
    assert table_rows(nonsense) == [december, *TABLE]
    assert nonsense.context["months"] == 12


def test_the_contractor_and_area_filters(staff_client, world):
    # given

    # when
    by_contractor = dashboard(staff_client, months="3", contractor=world.b.contractor.pk)
    by_area = dashboard(staff_client, months="3", area=world.a.area.pk)
    both_csv = dashboard(
        staff_client,
        months="3",
        contractor=world.b.contractor.pk,
        area=world.b.area.pk,
        format="csv",
    )
    crossed = dashboard(
        staff_client, months="3", contractor=world.a.contractor.pk, area=world.b.area.pk
    )

    # then
    assert table_rows(by_contractor) == [TABLE[1], TABLE[3]]
    assert table_rows(by_area) == [TABLE[0], TABLE[2]]
    assert csv_lines(both_csv) == [CSV_HEADER, CSV_ROWS[1], CSV_ROWS[3]]
    assert table_rows(crossed) == [["No completed repairs in this period."]]


def test_the_csv_link_keeps_the_filters(staff_client, world):
    # given

    # when
    response = dashboard(staff_client, months="3", contractor=world.b.contractor.pk)

    # then
    assert (
        f'href="?months=3&amp;contractor={world.b.contractor.pk}&amp;format=csv"'
        in response.content.decode()
    )


# -- scoping -------------------------------------------------------------------------------


def test_staff_of_another_association_see_only_their_own_figures(english, world, other_staff_user):
    # given the other association's staff, trying our contractor B and our area
    english.force_login(other_staff_user)

    # when
    page = dashboard(english, months="3")
    forced = dashboard(english, months="3", contractor=world.b.contractor.pk, area=world.a.area.pk)
    exported = dashboard(english, months="3", contractor=world.b.contractor.pk, format="csv")

    # then only contractor A's work for them; our filters are ignored, our names not offered
    assert table_rows(page) == [THEIR_ROW]
    assert table_rows(forced) == [THEIR_ROW]
    assert (forced.context["contractor_id"], forced.context["area_id"]) == (None, None)
    assert csv_lines(exported) == [
        CSV_HEADER,
        "2026-01,Aalbers Onderhoud,Dommeldal,1,1.00,0.0,100.0,1,1,100.0,0.0,3.0,3.0,0,,1,100.0,0",
    ]
    body = page.content.decode()
    for ours in ("Bakker Installatietechniek", "Noord", "Zuid"):
        assert ours not in body


def test_a_superuser_sees_every_association(english, world, superuser):
    # given
    english.force_login(superuser)

    # when
    response = dashboard(english, months="3")

    # then (rows sorted by month, contractor and area name)
    assert table_rows(response) == [THEIR_ROW, *TABLE]


@pytest.mark.parametrize("who", ["anonymous", "tenant", "planner", "craftsman"])
def test_only_staff_reach_the_dashboard(english, world, who):
    # given
    users = {
        "tenant": lambda: world.a.tenant,
        "planner": lambda: member(world.a.contractor),
        "craftsman": lambda: member(world.a.contractor, ContractorRole.CRAFTSMAN),
    }
    if who in users:
        english.force_login(users[who]())

    # when
    page = dashboard(english, months="3")
    exported = dashboard(english, months="3", format="csv")

    # then
    for response in (page, exported):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))


def test_staff_without_an_association_see_no_figures(english, world):
    # given a staff user whose membership was removed
    lost = factories.StaffUserFactory(email="weg@example.nl")
    lost.staff_memberships.all().delete()
    english.force_login(lost)

    # when
    response = dashboard(english, months="3")

    # then
    assert table_rows(response) == [["No completed repairs in this period."]]
    assert list(response.context["contractors"]) == []


# -- the contractor's own figures ----------------------------------------------------------


def test_a_contractor_sees_its_own_figures_across_associations(english, world):
    # given contractor A's planner
    english.force_login(member(world.a.contractor))

    # when
    response = english.get(reverse(CONTRACTOR_KPIS))

    # then the same figures as staff see, for A's own work only (its area of the other
    # association included), without the contractor column
    assert response.status_code == 200
    december = ["Dec 2025", "Noord", "1", "10.00", "100.0%", "0.0%", "100.0% (1/1)",
                "100.0%", "2.0", "2.0", "–", "100.0% (1/1)", "0", "–", "–", "0.0% (0/1)"]  # fmt: skip
    mine = [row[:1] + row[2:] for row in (TABLE[0], THEIR_ROW, TABLE[2])]
    assert sorted(table_rows(response)) == sorted([december, *mine])
    assert "Bakker Installatietechniek" not in response.content.decode()
    assert "Zuid" not in response.content.decode()


def test_another_contractor_sees_none_of_these_figures(english, world):
    # given contractor B's planner
    english.force_login(member(world.b.contractor))

    # when
    response = english.get(reverse(CONTRACTOR_KPIS))

    # then
    assert table_rows(response) == [row[:1] + row[2:] for row in (TABLE[1], TABLE[3])]
    body = response.content.decode()
    for theirs in ("Aalbers Onderhoud", "Noord", "Dommeldal"):
        assert theirs not in body


def test_a_contractor_without_work_sees_an_empty_table(english, world):
    # given a contractor with no completed repairs
    english.force_login(member(factories.ContractorFactory(name="Nieuw BV")))

    # when
    response = english.get(reverse(CONTRACTOR_KPIS))

    # then
    assert table_rows(response) == [["No completed repairs in this period."]]


@pytest.mark.parametrize("who", ["craftsman", "tenant", "staff"])
def test_only_a_contractors_planner_reaches_its_figures(english, world, staff_user, who):
    # given
    users = {
        "craftsman": lambda: member(world.a.contractor, ContractorRole.CRAFTSMAN),
        "tenant": lambda: world.a.tenant,
        "staff": lambda: staff_user,
    }
    english.force_login(users[who]())

    # when
    response = english.get(reverse(CONTRACTOR_KPIS))

    # then
    assert response.status_code == 404


def test_an_anonymous_visitor_is_asked_to_log_in(english, world):
    # given

    # when
    response = english.get(reverse(CONTRACTOR_KPIS))

    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_contractor_pages_keep_the_tenants_answers_anonymous(english, world):
    # given answers with comments, some from tenants who agreed to be contacted (a3, t1)
    english.force_login(member(world.a.contractor))
    a3 = world.a.requests["a3"]

    # when the planner reads its figures and the request a low grade was given for
    figures = english.get(reverse(CONTRACTOR_KPIS)).content.decode()
    request_page = english.get(reverse("contractor_request", args=[a3.reference]))

    # then the figures name nobody, and the request page shows nothing of the survey
    assert request_page.status_code == 200
    for tenant in (world.a.tenant, world.b.tenant, world.theirs.tenant):
        assert tenant.email not in figures
        assert tenant.last_name not in figures
    for comment in world.comments:
        assert comment not in figures
        assert comment not in request_page.content.decode()


# -- query counts --------------------------------------------------------------------------


def more_work(world, count: int) -> None:
    """`count` more completed repairs per contractor in February, visited and graded."""
    for side in (world.a, world.b):
        for n in range(count):
            repair(side, f"extra-{n}", reported=at(2, 20, 8), completed=at(2, 20, 11),
                   ftf=True, visits=[(d(2, 20), M, "done", "fixed", at(2, 20, 11))],
                   survey="answered", grade=1 + n % 10)  # fmt: skip
        repair(side, "extra-open", reported=at(2, 21, 8), status=Status.SCHEDULED,
               visits=[(d(2, 21), A, "planned", None, None)])  # fmt: skip
    # February is the previous month: the periodic refresh brings it up to date.
    tasks.kpi_rollup_refresh.delay().get()


@pytest.mark.parametrize(
    "params", [{"months": "12"}, {"months": "3", "format": "csv"}], ids=["page", "csv"]
)
def test_the_dashboard_queries_do_not_grow_with_the_number_of_requests(staff_client, world, params):
    # given the dashboard measured once (the session and permissions cached after)
    url = reverse(DASHBOARD)
    count_queries(staff_client, url, params)
    before = count_queries(staff_client, url, params)

    # when there is much more work
    more_work(world, 15)
    after = count_queries(staff_client, url, params)

    # then: session, user, permissions (2), memberships, contractors, areas, the rollup
    assert after == before
    assert before <= 10


def test_the_contractors_figures_take_a_fixed_number_of_queries(english, world):
    # given the figures measured once (the session and the page's header cached after)
    english.force_login(member(world.a.contractor))
    url = reverse(CONTRACTOR_KPIS)
    count_queries(english, url, {})
    before = count_queries(english, url, {})

    # when
    more_work(world, 15)
    after = count_queries(english, url, {})

    # then: session, user, membership, the rollup
    assert after == before
    assert before <= 8
