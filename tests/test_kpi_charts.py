"""The KPI charts (surveys.charts.kpi_charts) on the staff dashboard and the contractor's own
figures: the series are the hand-computed figures of tests/test_kpis.py, the JSON the page
gives Chart.js holds exactly the selector's numbers, the legend names each contractor in full,
every chart has an aria-label and a table of the same figures, the open requests are counted
by age in the page's scope, and the pages' queries do not grow with the rows.

How the charts look in a browser (labels that fit, no overlap at 390 px, axe, the policy):
tests/browser/test_kpi_charts.py."""

import datetime
import json
import re
from html import unescape
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from contractors.models import ContractorRole
from portal.scoping import ALL_ASSOCIATIONS
from repairs.lifecycle import Status
from repairs.models import RepairRequest
from surveys.charts import kpi_charts, open_requests_by_age
from surveys.kpis import kpi_rollup_rows, months_back
from surveys.rollup import kpi_rollup_rebuild

from . import factories
from .queries import count_queries
from .test_kpis import TODAY, World, at, kpi_world_create, repair, side_create

DASHBOARD = "admin:surveys_kpidashboard_changelist"
CONTRACTOR_KPIS = "contractor_kpis"
AALBERS, BAKKER = "Aalbers Onderhoud", "Bakker Installatietechniek"
DAY = datetime.timedelta(days=1)
AGES = ["0–2 days", "3–7 days", "8–14 days", "15–30 days", "more than 30 days"]


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(TODAY, tick=False)
    return time_machine


@pytest.fixture
def world(db, clock, organisation, other_organisation) -> World:
    world = kpi_world_create(organisation, other_organisation)
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


def planner_of(contractor):
    return factories.ContractorMembershipFactory(
        contractor=contractor, role=ContractorRole.PLANNER
    ).user


def open_request(side, reported: datetime.datetime, status=Status.ROUTED) -> RepairRequest:
    """An open request of the side's contract (of no contract when unrouted), reported then."""
    routed = status not in (Status.SUBMITTED, Status.UNROUTED)
    repair_request = factories.RepairRequestFactory(
        dwelling=side.dwelling,
        category=side.category,
        status=status,
        contract=side.contract if routed else None,
        contractor=side.contractor if routed else None,
    )
    RepairRequest.objects.filter(pk=repair_request.pk).update(created_at=reported)
    return repair_request


def chart_json(response) -> dict[str, dict]:
    """The data of each chart as the page gives it to static/js/kpi-charts.js."""
    found = re.findall(
        r'<script id="kpi-chart-([\w-]+)-data" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.DOTALL,
    )
    return {key: json.loads(body) for key, body in found}


def figure_html(response, key: str) -> str:
    body = response.content.decode()
    start = body.index(f'aria-labelledby="kpi-chart-{key}-title"')
    return body[start : body.index("</figure>", start)]


def figure_table(response, key: str) -> list[list[str]]:
    """The chart's table of figures as cell texts, the header row first."""
    html = figure_html(response, key)
    table = html[html.index("<table") : html.index("</table>")]
    return [
        [unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in re.findall(
            r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.DOTALL)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.DOTALL)
    ]  # fmt: skip


def drawn(charts) -> dict[str, dict]:
    """The data of the charts that have something to draw, by key, as the page gives it."""
    return {chart.key: chart.data() for chart in charts if chart.series}


def series_of(data: dict) -> list[tuple[str, list]]:
    return [(series["label"], series["values"]) for series in data["series"]]


# -- the series ----------------------------------------------------------------------------


def test_the_charts_show_the_hand_computed_grade_and_first_time_fix_per_contractor(
    staff_client,
):
    # given the KPI world (tests/test_kpis.py), seen on 10 March 2026

    # when
    response = staff_client.get(reverse(DASHBOARD), {"months": "3"})

    # then a grade chart and a first-time-fix chart, a series per contractor with the monthly
    # figures of the table, and the open requests by age
    charts = response.context["charts"]
    assert [chart.title for chart in charts] == [
        "Mean grade per contractor",
        "First-time-fix rate per contractor",
        "Completed within norm per contractor",
        "Open requests by age",
    ]
    # (no request of this world had a norm: that chart has nothing to draw)
    data = chart_json(response)
    assert list(data) == ["grade", "first-time-fix", "open-by-age"]
    assert (
        data["grade"]["labels"]
        == data["first-time-fix"]["labels"]
        == [
            "Jan 2026",
            "Feb 2026",
            "Mar 2026",
        ]
    )
    assert series_of(data["grade"]) == [(AALBERS, [6.5, 8.0, None]), (BAKKER, [6.67, 6.0, None])]
    assert series_of(data["first-time-fix"]) == [
        (AALBERS, [66.7, 100.0, None]),
        (BAKKER, [75.0, 50.0, None]),
    ]
    # a7, A's visit planned on 20 January, is the one open request: 50 days old
    assert data["open-by-age"]["labels"] == AGES
    assert series_of(data["open-by-age"]) == [(AALBERS, [0, 0, 0, 0, 1])]
    # the grade axis runs from 1 to 10 in steps of 1, the share from 0 to 100 %
    assert data["grade"]["axis"] | {"title": ""} == {"min": 1, "max": 10, "step": 1, "title": ""}
    assert (data["first-time-fix"]["axis"]["max"], data["first-time-fix"]["unit"]) == (100, "%")


def test_the_page_gives_the_chart_exactly_the_selectors_numbers(staff_client, organisation):
    # given

    # when
    response = staff_client.get(reverse(DASHBOARD), {"months": "12"})

    # then the JSON of each chart is the selector's, for the same rows and scope
    start, end = months_back(TODAY.date(), 12)
    rows = kpi_rollup_rows(organisation_ids=[organisation.pk], start=start, end=end)
    expected = kpi_charts(rows=rows, start=start, end=end, organisation_ids=[organisation.pk])
    assert chart_json(response) == drawn(expected)


def test_the_charts_cover_the_last_twelve_months(staff_client):
    # given

    # when
    response = staff_client.get(reverse(DASHBOARD))

    # then
    grade = chart_json(response)["grade"]
    assert grade["labels"][0] == "Apr 2025"
    assert grade["labels"][-1] == "Mar 2026"
    assert len(grade["labels"]) == 12
    assert series_of(grade) == [
        (AALBERS, [None] * 8 + [10.0, 6.5, 8.0, None]),
        (BAKKER, [None] * 9 + [6.67, 6.0, None]),
    ]


# -- readable without the picture ----------------------------------------------------------


def test_each_chart_has_a_legend_with_full_names_an_aria_label_and_a_table(staff_client):
    # given

    # when
    response = staff_client.get(reverse(DASHBOARD), {"months": "3"})

    # then the legend names each contractor in full, in the order and style of the series
    grade = figure_html(response, "grade")
    legend = grade[grade.index('class="kpi-chart-legend"') : grade.index("</ul>")]
    assert re.findall(r"<span>(.*?)</span>", legend) == [AALBERS, BAKKER]
    # and the canvas says what it shows
    assert (
        'role="img" aria-label="Mean grade per contractor, line chart from Jan 2026 to '
        'Mar 2026. The figures are in the table below the chart."'
    ) in grade
    # and the table holds the same numbers as the chart
    assert figure_table(response, "grade") == [
        ["Month completed", AALBERS, BAKKER],
        ["Jan 2026", "6.50", "6.67"],
        ["Feb 2026", "8.00", "6.00"],
        ["Mar 2026", "–", "–"],
    ]
    assert figure_table(response, "first-time-fix") == [
        ["Month completed", AALBERS, BAKKER],
        ["Jan 2026", "66.7%", "75.0%"],
        ["Feb 2026", "100.0%", "50.0%"],
        ["Mar 2026", "–", "–"],
    ]
    assert figure_table(response, "open-by-age") == [
        ["Time since reported", AALBERS],
        *[[age, "1" if age == "more than 30 days" else "0"] for age in AGES],
    ]


def test_the_lines_are_told_apart_without_colour(staff_client):
    # given

    # when
    data = chart_json(staff_client.get(reverse(DASHBOARD), {"months": "3"}))

    # then each contractor has its own line pattern and marker, the same in every chart
    aalbers, bakker = data["grade"]["series"]
    assert (aalbers["dash"], aalbers["marker"]) != (bakker["dash"], bakker["marker"])
    assert aalbers["dash"] != bakker["dash"] and aalbers["marker"] != bakker["marker"]
    assert data["first-time-fix"]["series"] == [
        aalbers | {"values": [66.7, 100.0, None]},
        bakker | {"values": [75.0, 50.0, None]},
    ]
    assert data["open-by-age"]["series"][0]["colour"] == aalbers["colour"]


def test_a_dutch_reader_gets_dutch_titles_and_decimal_commas(client, world, staff_user):
    # given
    client.force_login(staff_user)

    # when
    response = client.get(reverse(DASHBOARD), {"months": "3"}, HTTP_ACCEPT_LANGUAGE="nl")

    # then
    assert [chart.title for chart in response.context["charts"]] == [
        "Gemiddeld cijfer per aannemer",
        "Percentage in één keer goed per aannemer",
        "Binnen de norm afgerond per aannemer",
        "Openstaande meldingen naar ouderdom",
    ]
    assert figure_table(response, "grade")[1] == ["Jan 2026", "6,50", "6,67"]
    assert chart_json(response)["open-by-age"]["labels"][-1] == "meer dan 30 dagen"


# -- within norm ---------------------------------------------------------------------------


def test_the_share_within_norm_is_per_contractor_over_the_period(english, world, staff_user):
    # given deadlines from the contracts' norms on some of January's requests: A's emergency
    # a1 in time and a3 late, A's repair a2 in time; B's repair b2 late (b1 has no norm)
    due = {"a1": at(1, 6, 7), "a3": at(1, 13, 9), "a2": at(1, 20, 10)}
    for key, deadline in due.items():
        RepairRequest.objects.filter(pk=world.a.requests[key].pk).update(complete_due_at=deadline)
    RepairRequest.objects.filter(pk=world.b.requests["b2"].pk).update(complete_due_at=at(1, 8, 12))
    kpi_rollup_rebuild()
    english.force_login(staff_user)

    # when
    response = english.get(reverse(DASHBOARD), {"months": "3"})

    # then
    data = chart_json(response)["within-norm"]
    assert data["labels"] == ["Emergencies", "Repairs"]
    assert series_of(data) == [(AALBERS, [50.0, 100.0]), (BAKKER, [None, 0.0])]
    assert (data["axis"]["min"], data["axis"]["max"], data["unit"]) == (0, 100, "%")
    assert figure_table(response, "within-norm") == [
        ["Kind of repair", AALBERS, BAKKER],
        ["Emergencies", "50.0%", "–"],
        ["Repairs", "100.0%", "0.0%"],
    ]


# -- open requests by age ------------------------------------------------------------------


@pytest.fixture
def open_work(world):
    """Open requests of A (Noord) and B (Zuid) on either side of each age boundary, an
    unrouted one, and ones that are not open or not of this association."""
    now = TODAY
    open_request(world.a, now - 2 * DAY - datetime.timedelta(hours=23))  # 0–2 days
    open_request(world.a, now - 3 * DAY)  # 3–7 days: exactly three days
    open_request(world.a, now - 7 * DAY - datetime.timedelta(hours=23), Status.FOLLOW_UP)
    open_request(world.b, now - 8 * DAY, Status.SCHEDULED)  # 8–14 days
    open_request(world.b, now - 30 * DAY - datetime.timedelta(hours=1))  # 15–30 days
    open_request(world.b, now - 31 * DAY)  # more than 30 days
    open_request(world.b, now - DAY, Status.UNROUTED)  # not routed yet, 0–2 days
    open_request(world.b, now - DAY, Status.SUBMITTED)  # not routed yet, 0–2 days
    open_request(world.theirs, now - DAY)  # A's, for the other association
    for closed in (Status.COMPLETED, Status.CANCELLED, Status.REJECTED):
        open_request(world.a, now - DAY, closed)
    return world


def test_open_requests_are_counted_by_whole_days_since_reported(
    open_work, organisation, other_organisation
):
    # given the open work

    # when
    ours = open_requests_by_age(organisation_ids=[organisation.pk], now=TODAY)
    theirs = open_requests_by_age(organisation_ids=[other_organisation.pk], now=TODAY)

    # then (a7, A's scheduled request of 19 January, is more than 30 days old)
    assert sorted((row.contractor or "", row.counts) for row in ours) == [
        ("", [2, 0, 0, 0, 0]),
        (AALBERS, [1, 2, 0, 0, 1]),
        (BAKKER, [0, 0, 1, 1, 1]),
    ]
    assert [(row.contractor, row.counts) for row in theirs] == [(AALBERS, [1, 0, 0, 0, 0])]


def test_open_requests_follow_the_dashboards_filters_and_scope(
    english, open_work, staff_user, other_staff_user
):
    # given
    english.force_login(staff_user)
    url = reverse(DASHBOARD)

    # when
    everyone = chart_json(english.get(url, {"months": "3"}))["open-by-age"]
    by_contractor = chart_json(english.get(url, {"contractor": open_work.b.contractor.pk}))
    by_area = chart_json(english.get(url, {"area": open_work.a.area.pk}))
    english.force_login(other_staff_user)
    theirs = chart_json(english.get(url, {"contractor": open_work.b.contractor.pk}))

    # then the unrouted requests show as their own series, after the contractors
    assert series_of(everyone) == [
        (AALBERS, [1, 2, 0, 0, 1]),
        (BAKKER, [0, 0, 1, 1, 1]),
        ("Not routed yet", [2, 0, 0, 0, 0]),
    ]
    assert series_of(by_contractor["open-by-age"]) == [(BAKKER, [0, 0, 1, 1, 1])]
    assert series_of(by_area["open-by-age"]) == [(AALBERS, [1, 2, 0, 0, 1])]
    # another association's staff see only A's work for them; B is not theirs to filter on
    assert series_of(theirs["open-by-age"]) == [(AALBERS, [1, 0, 0, 0, 0])]


def test_a_contractor_sees_its_own_open_requests_across_associations(english, open_work):
    # given A's planner
    english.force_login(planner_of(open_work.a.contractor))

    # when
    response = english.get(reverse(CONTRACTOR_KPIS))

    # then A's open work of both associations, its own grades, nobody else's
    data = chart_json(response)
    assert series_of(data["open-by-age"]) == [(AALBERS, [2, 2, 0, 0, 1])]
    assert [label for label, _values in series_of(data["grade"])] == [AALBERS]
    assert series_of(data["grade"])[0][1][-4:] == [10.0, 4.67, 8.0, None]
    body = response.content.decode()
    assert BAKKER not in body and "Not routed yet" not in body


def test_the_contractor_page_gives_the_chart_exactly_the_selectors_numbers(english, open_work):
    # given
    english.force_login(planner_of(open_work.b.contractor))

    # when
    response = english.get(reverse(CONTRACTOR_KPIS))

    # then
    start, end = months_back(TODAY.date(), 12)
    contractor_id = open_work.b.contractor.pk
    rows = kpi_rollup_rows(
        organisation_ids=ALL_ASSOCIATIONS, start=start, end=end, contractor_id=contractor_id
    )
    expected = kpi_charts(
        rows=rows,
        start=start,
        end=end,
        organisation_ids=ALL_ASSOCIATIONS,
        contractor_id=contractor_id,
    )
    assert chart_json(response) == drawn(expected)
    assert series_of(chart_json(response)["open-by-age"]) == [(BAKKER, [0, 0, 1, 1, 1])]


def test_a_contractor_without_work_sees_no_empty_charts(english, world):
    # given a contractor with no requests at all
    english.force_login(planner_of(factories.ContractorFactory(name="Nieuw BV")))

    # when
    response = english.get(reverse(CONTRACTOR_KPIS))

    # then each chart says there is nothing to show, and no canvas is drawn
    body = response.content.decode()
    assert body.count("No figures to show.") == 4
    assert "<canvas" not in body
    assert [series_of(data) for data in chart_json(response).values()] == []


@pytest.mark.parametrize("who", ["craftsman", "tenant", "anonymous"])
def test_only_a_planner_gets_the_contractors_charts(english, world, who):
    # given
    if who == "craftsman":
        english.force_login(
            factories.ContractorMembershipFactory(
                contractor=world.a.contractor, role=ContractorRole.CRAFTSMAN
            ).user
        )
    elif who == "tenant":
        english.force_login(world.a.tenant)

    # when
    response = english.get(reverse(CONTRACTOR_KPIS))

    # then
    assert response.status_code == (302 if who == "anonymous" else 404)
    assert b"kpi-chart" not in response.content


# -- query counts --------------------------------------------------------------------------


@pytest.fixture
def one_contract(db, clock, organisation):
    return side_create(
        organisation, contractor_name="Aalbers Onderhoud", area_name="Noord", tenant="Anna Jansen"
    )


def work_of(side, numbers: range) -> None:
    """Completed and graded requests numbered `numbers`, the n-th in the n-th month before
    February 2026 (50 of them: over four years), and as many open requests, n days old."""
    for n in numbers:
        month = datetime.date(2026, 2, 1)
        for _ in range(n):
            month = (month - DAY).replace(day=1)
        reported = at(month.month, 3, 8, year=month.year)
        repair(side, f"done-{n}", reported=reported, completed=reported + datetime.timedelta(hours=3),
               ftf=n % 2 == 0, survey="answered", grade=1 + n % 10)  # fmt: skip
        open_request(side, TODAY - n * DAY)
    kpi_rollup_rebuild()


@pytest.mark.parametrize("page", ["dashboard", "contractor"])
def test_the_chart_pages_ask_the_same_with_1_and_50_rows(english, one_contract, staff_user, page):
    # given one month of work, the page measured once (session and caches filled)
    work_of(one_contract, range(1))
    if page == "dashboard":
        english.force_login(staff_user)
        url, params = reverse(DASHBOARD), {"months": "24"}
    else:
        english.force_login(planner_of(one_contract.contractor))
        url, params = reverse(CONTRACTOR_KPIS), {}
    count_queries(english, url, params)
    one = count_queries(english, url, params)
    rows_at_one = len(english.get(url, params).context["rows"])

    # when there are 50 months of work and 50 open requests
    work_of(one_contract, range(1, 50))
    fifty = count_queries(english, url, params)
    response = english.get(url, params)

    # then the same queries; the charts and the table show the larger world
    assert rows_at_one == 1
    # (every month but March 2026 of the last 24 or 12)
    assert len(response.context["rows"]) == (23 if page == "dashboard" else 11)
    assert sum(chart_json(response)["open-by-age"]["series"][0]["values"]) == 50
    assert fifty == one
    # session, user, (staff: permissions, memberships, contractors, areas), the rollup,
    # the open requests
    assert one <= (10 if page == "dashboard" else 8)


# -- the vendored library ------------------------------------------------------------------


def test_the_pages_serve_the_chartjs_that_npm_pins_with_its_licence(settings):
    # given the version package-lock.json pins (scripts/vendor-static copies its build)
    root = Path(settings.BASE_DIR)
    lock = json.loads((root / "package-lock.json").read_text())
    pinned = lock["packages"]["node_modules/chart.js"]["version"]

    # when the static files are looked up as the pages name them
    library = finders.find("vendor/chartjs/chart.umd.min.js")
    licence = finders.find("vendor/chartjs/LICENSE.md")

    # then they are committed files of the portal, of that version, under the MIT licence
    assert library and licence and finders.find("js/kpi-charts.js")
    assert f"Chart.js v{pinned}\n" in Path(library).read_text()[:200]
    assert Path(licence).read_text().startswith("The MIT License")
