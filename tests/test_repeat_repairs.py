"""Repeat repairs: a report of the same defect code (VERA DEFECTSOORT) in the same dwelling
within 30 days of a completion is flagged when it is reported (RepairRequest.repeat_of) and
counted in the KPI table as the share of completed repairs that repeat one, live and in the
monthly rollup alike. Staff filter the flagged requests; others' stay 404."""

import datetime

import pytest
from django.urls import reverse

from repairs import services
from repairs.lifecycle import Status
from repairs.models import RepairRequest
from surveys.kpis import kpi_rollup_rows, kpi_rows
from surveys.rollup import kpi_month_refresh

from . import factories
from .queries import count_queries, statements_of
from .test_kpi_dashboard import table_rows
from .test_survey_invitations import AMSTERDAM, completed_request

NOW = datetime.datetime(2026, 3, 20, 10, 0, tzinfo=AMSTERDAM)
DAY = datetime.timedelta(days=1)
MARCH = datetime.date(2026, 3, 1)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(NOW, tick=False)
    return time_machine


def report(chain, *, category=None, dwelling=None) -> RepairRequest:
    return services.repair_request_submit(
        dwelling=dwelling or chain.dwelling,
        category=category or chain.category,
        description="It leaks again.",
        reported_by=chain.tenant,
        tenancy=chain.tenancy,
    )


# -- the flag --------------------------------------------------------------------------------


def test_the_same_defect_within_30_days_of_a_completion_is_a_repeat(clock, chain):
    # given the dwelling's tap repair, completed 29 days ago
    earlier = completed_request(chain, completed_at=NOW - 29 * DAY)

    # when the same defect is reported again
    repair_request = report(chain)

    # then the report is flagged as a repeat of it, and routed as any other
    assert repair_request.repeat_of == earlier
    assert repair_request.status == Status.ROUTED


def test_another_category_with_the_same_defect_code_is_a_repeat_too(clock, chain):
    earlier = completed_request(chain, completed_at=NOW - 3 * DAY)
    same_defect = factories.RepairCategoryFactory(
        organisation=chain.organisation,
        name_nl="Kraan badkamer lekt",
        name_en="Bathroom tap leaks",
        room_code="BAD" if chain.category.room_code != "BAD" else "KEU",
        defect_code=chain.category.defect_code,
    )

    assert report(chain, category=same_defect).repeat_of == earlier


def test_the_latest_completion_is_the_one_repeated(clock, chain):
    completed_request(chain, completed_at=NOW - 20 * DAY)
    latest = completed_request(chain, completed_at=NOW - 2 * DAY)

    assert report(chain).repeat_of == latest


@pytest.mark.parametrize(
    "case", ["31 days ago", "other defect", "other dwelling", "still open", "rejected"]
)
def test_what_is_not_a_repeat(clock, chain, case):
    # given a request that differs in one way from a repeated one
    dwelling = chain.dwelling
    category = chain.category
    if case == "31 days ago":
        completed_request(chain, completed_at=NOW - 31 * DAY)
    elif case == "other defect":
        completed_request(chain, completed_at=NOW - DAY)
        category = factories.RepairCategoryFactory(
            organisation=chain.organisation,
            name_nl="Deur klemt",
            name_en="Door sticks",
            defect_code="KLE" if chain.category.defect_code != "KLE" else "LEK",
        )
    elif case == "other dwelling":
        completed_request(chain, completed_at=NOW - DAY)
        dwelling = factories.DwellingFactory(organisation=chain.organisation, postcode="5611AC")
    elif case == "still open":
        factories.routed_request_create(chain)
    else:
        factories.routed_request_create(
            chain, status=Status.REJECTED, contract=None, contractor=None
        )

    # when the tenant reports
    repair_request = report(chain, category=category, dwelling=dwelling)

    # then it is no repeat
    assert repair_request.repeat_of is None


# -- the KPI ---------------------------------------------------------------------------------


@pytest.fixture
def march(clock, chain):
    """March: four repairs of the chain's contract completed, one of which repeats a February
    repair of the same dwelling and defect; and one repeat still open (not counted)."""
    february = completed_request(chain, completed_at=NOW - 40 * DAY)
    first = completed_request(chain, completed_at=NOW - 10 * DAY)
    RepairRequest.objects.filter(pk=first.pk).update(repeat_of=february)
    other = factories.DwellingFactory(organisation=chain.organisation, postcode="5611AD")
    for days in (5, 4, 3):
        elsewhere = completed_request(chain, completed_at=NOW - days * DAY)
        RepairRequest.objects.filter(pk=elsewhere.pk).update(dwelling=other)
    open_repeat = factories.routed_request_create(chain)
    RepairRequest.objects.filter(pk=open_repeat.pk).update(repeat_of=first)
    return chain


def test_the_share_of_repeat_repairs_by_month_of_completion(march):
    # when the month's figures are computed live and in the rollup
    live = kpi_rows(organisation_ids={march.organisation.pk}, start=MARCH, end=MARCH)
    kpi_month_refresh(month=MARCH, organisation_ids={march.organisation.pk})
    rolled = kpi_rollup_rows(organisation_ids={march.organisation.pk}, start=MARCH, end=MARCH)

    # then 1 of the 4 completed repairs is a repeat: 25.0%, the same in both
    assert [(r.completed, r.repeat_repairs, r.repeat_rate) for r in live] == [
        (4, 1, pytest.approx(25))
    ]
    assert str(live[0].repeat_rate) == "25.0"
    assert [(r.completed, r.repeat_repairs, str(r.repeat_rate)) for r in rolled] == [(4, 1, "25.0")]


def test_the_kpi_table_shows_the_share(march, english_client):
    # given the contractor's planner, with the rollup refreshed
    kpi_month_refresh(month=MARCH, organisation_ids={march.organisation.pk})
    planner = factories.planner_create(march.contractor)

    # when they open their figures
    response = english_client(planner).get(reverse("contractor_kpis"))

    # then March's row ends with the repeat repairs
    (row,) = [row for row in table_rows(response) if row[0] == "Mar 2026"]
    assert row[-1] == "25.0% (1/4)"


# -- staff and the contractor ----------------------------------------------------------------


def repeat_list() -> str:
    return reverse("admin:repairs_repairrequest_changelist") + "?after=repeat"


def test_staff_filter_repeat_repairs_and_the_planner_sees_the_flag(
    clock, chain, staff_user, english_client
):
    earlier = completed_request(chain, completed_at=NOW - 3 * DAY)
    repeat = report(chain)

    html = english_client(staff_user).get(repeat_list()).content.decode()
    assert repeat.reference in html
    assert earlier.reference not in html

    planner = factories.planner_create(chain.contractor)
    page = english_client(planner).get(reverse("contractor_request", args=[repeat.reference]))
    assert "repeat repair" in page.content.decode()


def test_others_do_not_see_the_repeat(clock, chain, other_chain, other_staff_user, english_client):
    completed_request(chain, completed_at=NOW - 3 * DAY)
    repeat = report(chain)

    assert repeat.reference not in (
        english_client(other_staff_user).get(repeat_list()).content.decode()
    )
    other_planner = factories.planner_create(other_chain.contractor)
    page = english_client(other_planner).get(reverse("contractor_request", args=[repeat.reference]))
    assert page.status_code == 404


def test_the_repeat_list_asks_the_same_for_1_and_50_rows(clock, chain, staff_user, english_client):
    client = english_client(staff_user)
    earlier = completed_request(chain, completed_at=NOW - 3 * DAY)
    factories.routed_request_create(chain, repeat_of=earlier)
    client.get(repeat_list())
    one = count_queries(client, repeat_list())

    for _ in range(49):
        factories.routed_request_create(chain, repeat_of=earlier)
    fifty = count_queries(client, repeat_list())

    assert one == fifty


def test_reporting_asks_one_query_to_find_a_repeat(clock, chain):
    # the look-up is one indexed query of the dwelling's requests, whatever their number
    for days in range(1, 51):
        completed_request(chain, completed_at=NOW - days * DAY)
    report(chain)  # warm caches

    statements = statements_of(lambda: report(chain))
    assert (
        sum(
            '"repairs_repairrequest"."dwelling_id"' in s and "completed_at" in s for s in statements
        )
        == 1
    )
