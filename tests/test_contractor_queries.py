"""The contractor's pages ask the database a fixed number of questions, however many rows.

Each page is measured with one row and with 50: the counts must be equal (no query per row)
and stay within a pinned bound (STYLE.md, Tests: query counts pinned on every page).
"""

import itertools

import pytest
from django.urls import reverse

from repairs.lifecycle import Status
from repairs.models import AppointmentStatus, MaterialReuse

from . import factories
from .queries import queries_of

# Pinned: what each page asks today. A change that raises one needs a reason.
WORK_QUEUE_QUERIES = 8
REQUEST_PAGE_QUERIES = 10
PLAN_PAGE_QUERIES = 12
DAY_QUERIES = 7
CAPACITY_AREA_QUERIES = 9


@pytest.fixture
def measure(django_assert_max_num_queries):
    """The queries of one GET of the page, which must stay within the page's bound."""

    def measure(client, url: str, bound: int) -> list[str]:
        with django_assert_max_num_queries(bound):
            return queries_of(client, url)

    return measure


def busy_request(chain, slot, craftsman, **fields):
    """A request at its own home, under its own category, with a visit planned in the slot."""
    dwelling = factories.DwellingFactory(organisation=chain.organisation)
    return factories.scheduled_request_create(
        chain,
        slot,
        craftsman=craftsman,
        dwelling=dwelling,
        tenancy=factories.TenancyFactory(dwelling=dwelling, tenant=factories.UserFactory()),
        category=factories.RepairCategoryFactory(organisation=chain.organisation),
        **fields,
    )


@pytest.mark.parametrize("name", ["plan", "today", "emergency", "new", "overdue"])
def test_the_work_queue_asks_the_same_with_1_and_50_requests(
    now, planner_client, chain, craftsman, measure, name
):
    # given one request in the list
    slot = {
        "today": chain.slot(days=0, daypart=chain.afternoon, capacity=60),
        "overdue": chain.slot(days=-1, capacity=60),
    }.get(name)

    def add():
        if slot is not None:
            return busy_request(chain, slot, craftsman)
        return factories.routed_request_create(
            chain,
            is_urgent=name == "emergency",
            category=factories.RepairCategoryFactory(organisation=chain.organisation),
            dwelling=factories.DwellingFactory(organisation=chain.organisation),
            tenancy=None,
        )

    add()
    url = reverse("work_queue", args=[name])
    planner_client.get(url)  # warm up what is read once per process
    one = measure(planner_client, url, WORK_QUEUE_QUERIES)

    # when there are 50, over two pages
    for _ in range(49):
        add()
    fifty = measure(planner_client, url, WORK_QUEUE_QUERIES)
    second_page = measure(planner_client, f"{url}?pagina=2", WORK_QUEUE_QUERIES)
    searched = measure(planner_client, f"{url}?q=Kerkstraat", WORK_QUEUE_QUERIES)

    # then
    response = planner_client.get(url)
    assert len(response.context["page"]) == 25
    assert response.context["page"].paginator.count == 50
    assert len(fifty) == len(one)
    assert len(second_page) == len(one)
    assert len(searched) == len(one)


def test_the_request_page_asks_the_same_with_1_and_50_visits_events_and_photos(
    now, planner_client, chain, craftsman, media_root, measure
):
    # given a request with one recorded visit with reused material, an event and a photo
    vacant = factories.DwellingFactory(organisation=chain.organisation, is_vacant=True)
    repair_request = factories.routed_request_create(chain, status=Status.FOLLOW_UP)
    slots = itertools.cycle([chain.slot(days=-2, capacity=60), chain.slot(days=-1, capacity=60)])

    def add_visit():
        visit = factories.visit_create(
            repair_request,
            next(slots),
            craftsman=craftsman,
            status=AppointmentStatus.DONE,
            outcome="no_access",
            outcome_reason="AFW",
        )
        MaterialReuse.objects.create(
            organisation=chain.organisation,
            appointment=visit,
            contractor=chain.contractor,
            description="Tap",
            quantity=1,
            source="vacant",
            source_dwelling=vacant,
        )
        factories.PhotoFactory(request=repair_request, appointment=visit)

    add_visit()
    url = reverse("contractor_request", args=[repair_request.reference])
    planner_client.get(url)
    one = measure(planner_client, url, REQUEST_PAGE_QUERIES)
    plan_one = measure(
        planner_client, reverse("plan_visit", args=[repair_request.reference]), PLAN_PAGE_QUERIES
    )

    # when it has 50 of each, and craftsmen and free dayparts to plan with
    for _ in range(49):
        add_visit()
    for days in range(1, 15):
        chain.slot(days=days)
    for _ in range(5):
        factories.craftsman_create(chain.contractor)
    fifty = measure(planner_client, url, REQUEST_PAGE_QUERIES)
    plan_many = measure(
        planner_client, reverse("plan_visit", args=[repair_request.reference]), PLAN_PAGE_QUERIES
    )

    # then
    response = planner_client.get(url)
    assert len(response.context["repair"].all_appointments) == 50
    assert len(response.context["repair"].photo_list) == 50
    assert len(response.context["timeline"]) == 52
    assert len(fifty) == len(one)
    assert len(plan_many) == len(plan_one)


@pytest.mark.parametrize("who", ["craftsman", "planner"])
def test_the_day_asks_the_same_with_1_and_50_visits(
    now, english_client, chain, craftsman, planner, media_root, measure, who
):
    # given one visit today, with a photo of the report
    slot = chain.slot(days=0, daypart=chain.afternoon, capacity=60)
    client = english_client(craftsman if who == "craftsman" else planner)

    def add():
        repair_request = busy_request(chain, slot, craftsman if len(add.made) % 2 else None)
        factories.PhotoFactory(request=repair_request)
        add.made.append(repair_request)

    add.made = []
    add()
    url = reverse("craftsman_day")
    client.get(url)
    one = measure(client, url, DAY_QUERIES)

    # when there are 50
    for _ in range(49):
        add()
    fifty = measure(client, url, DAY_QUERIES)

    # then
    response = client.get(url)
    assert len(response.context["visits"]) == 50
    assert len(fifty) == len(one)


def test_the_capacity_page_asks_the_same_with_1_and_28_dayparts(
    now, planner_client, chain, measure
):
    # given
    chain.slot(days=1)
    url = reverse("capacity_area", args=[chain.area.pk])
    planner_client.get(url)
    one = measure(planner_client, url, CAPACITY_AREA_QUERIES)

    # when every daypart of the 14 days is there
    for days in range(0, 14):
        for daypart in (chain.morning, chain.afternoon):
            if (days, daypart) != (1, chain.morning):
                chain.slot(days=days, daypart=daypart)
    many = measure(planner_client, url, CAPACITY_AREA_QUERIES)

    # then
    assert len(planner_client.get(url).context["slots"]) == 28
    assert len(many) == len(one)
