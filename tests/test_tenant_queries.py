"""The tenant's pages ask the database a fixed number of questions, however many rows they show.

Each page is measured with one row and with many: the counts must be equal (no query per row)
and stay under a pinned bound (STYLE.md, Tests: query counts pinned on every page).
"""

import datetime
import itertools

import pytest
from django.urls import reverse

from contractors.models import DaypartKind
from repairs import vera
from repairs.lifecycle import Status

from . import factories
from .queries import queries_of

# Pinned: what each page asks today. A change that raises one needs a reason.
# My repairs: one more for the notice of a project waiting for the tenant's choice.
MY_REPAIRS_QUERIES = 9
REPORT_FORM_QUERIES = 12
REPORT_START_QUERIES = 8
REPAIR_DETAIL_QUERIES = 9
REQUEST_PAGE_QUERIES = {"report_done": 9, "repair_cancel": 9, "repair_reschedule": 10}


@pytest.fixture
def measure(tenant_client, django_assert_max_num_queries):
    """The queries of one GET of the page, which must stay within the page's bound."""

    def measure(url: str, bound: int) -> list[str]:
        with django_assert_max_num_queries(bound):
            return queries_of(tenant_client, url)

    return measure


def scheduled_request(chain, slot, *, events: int = 3):
    """A request with a planned visit and its timeline, each under its own category."""
    repair_request = factories.RepairRequestFactory(
        dwelling=chain.dwelling,
        tenancy=chain.tenancy,
        reported_by=chain.tenant,
        category=factories.RepairCategoryFactory(organisation=chain.organisation),
        status=Status.SCHEDULED,
        contract=chain.contract,
        contractor=chain.contractor,
    )
    timeline = itertools.cycle(
        [
            (Status.SUBMITTED, {}),
            (Status.ROUTED, {"contractor": chain.contractor.name, "area": chain.area.name}),
            (
                Status.SCHEDULED,
                {"starts_at": slot.starts_at.isoformat(), "daypart": slot.daypart.kind},
            ),
        ]
    )
    for status, data in itertools.islice(timeline, events):
        factories.RepairEventFactory(request=repair_request, status=status, data=data)
    factories.AppointmentFactory(request=repair_request, slot=slot)
    return repair_request


def test_my_repairs_asks_the_same_with_1_and_50_requests(now, tenant_client, chain, measure):
    # given one request with a visit and a timeline
    slot = chain.slot(days=3, capacity=60)
    scheduled_request(chain, slot)
    url = reverse("my_repairs")
    tenant_client.get(url)  # warm up what is read once per process
    one = measure(url, MY_REPAIRS_QUERIES)

    # when there are 50
    for _ in range(49):
        scheduled_request(chain, slot)
    fifty = measure(url, MY_REPAIRS_QUERIES)
    second_page = measure(f"{url}?pagina=3", MY_REPAIRS_QUERIES)

    # then
    assert len(fifty) == len(one)
    assert len(second_page) == len(one)


def test_the_report_form_asks_the_same_with_1_and_42_free_slots(now, tenant_client, chain, measure):
    # given one free slot
    evening = factories.DaypartFactory(contractor=chain.contractor, kind=DaypartKind.EVENING)
    chain.slot(days=1)
    url = reverse("report_category", args=[chain.category.pk])
    tenant_client.get(url)
    one = measure(url, REPORT_FORM_QUERIES)

    # when every daypart of the 14 days is free: the most the form can offer
    for days in range(1, 15):
        for daypart in (chain.morning, chain.afternoon, evening):
            if (days, daypart) != (1, chain.morning):
                chain.slot(days=days, daypart=daypart)
    many = measure(url, REPORT_FORM_QUERIES)

    # then
    response = tenant_client.get(url)
    assert len(response.context["form"].fields["slot"].queryset) == 42
    assert len(many) == len(one)


def test_the_report_start_asks_the_same_with_1_and_50_categories(
    now, tenant_client, chain, measure
):
    # given the one category of the chain
    url = reverse("report_start")
    tenant_client.get(url)
    one = measure(url, REPORT_START_QUERIES)

    # when there are 50, in several rooms
    rooms = itertools.cycle(sorted(vera.codes(vera.ROOM))[:6])
    for _ in range(49):
        factories.RepairCategoryFactory(organisation=chain.organisation, room_code=next(rooms))
    many = measure(url, REPORT_START_QUERIES)
    searched = measure(f"{url}?q=tap", REPORT_START_QUERIES)

    # then
    assert len(many) == len(one)
    assert len(searched) == len(one)


def test_the_repair_detail_asks_the_same_with_1_and_30_events_and_photos(
    now, tenant_client, chain, media_root, measure
):
    # given a request with one event and one photo
    slot = chain.slot(days=3)
    repair_request = scheduled_request(chain, slot, events=1)
    factories.PhotoFactory(request=repair_request)
    url = reverse("repair_detail", args=[repair_request.reference])
    tenant_client.get(url)
    one = measure(url, REPAIR_DETAIL_QUERIES)

    # when it has 30 of each, and was moved a few times
    for _ in range(29):
        factories.PhotoFactory(request=repair_request)
    for index in range(29):
        if index % 2:
            moved_to = slot.starts_at + datetime.timedelta(days=index)
            status, data = (
                Status.SCHEDULED,
                {"starts_at": moved_to.isoformat(), "daypart": "morning"},
            )
        else:
            status, data = Status.ROUTED, {"contractor": chain.contractor.name}
        factories.RepairEventFactory(request=repair_request, status=status, data=data)
    many = measure(url, REPAIR_DETAIL_QUERIES)

    # then
    response = tenant_client.get(url)
    assert len(response.context["repair"].photo_list) == 30
    assert len(response.context["timeline"]) == 30
    assert len(many) == len(one)


@pytest.mark.parametrize("page", REQUEST_PAGE_QUERIES)
def test_the_other_request_pages_ask_the_same_with_1_and_30_events(
    now, tenant_client, chain, page, measure
):
    # given
    slot = chain.slot(days=3, capacity=2)
    chain.slot(days=4)
    repair_request = scheduled_request(chain, slot, events=1)
    url = reverse(page, args=[repair_request.reference])
    tenant_client.get(url)
    one = measure(url, REQUEST_PAGE_QUERIES[page])

    # when
    for _ in range(29):
        factories.RepairEventFactory(request=repair_request, status=Status.ROUTED)
    many = measure(url, REQUEST_PAGE_QUERIES[page])

    # then
    assert len(many) == len(one)
