"""The planner's list of planned work: a request the tenant booked shows under "Planned" from
the moment it is booked, by the time of the visit, so a craftsman can be assigned ahead; and
a search that finds nothing says so."""

import re
from html import unescape

import pytest
from django.db import connection
from django.urls import reverse

from repairs import services
from repairs.models import AppointmentStatus

from . import factories
from .test_list_plans import _check
from .test_list_plans import installation as installation  # the filled installation

PLANNED_VISITS = "appointment_contractor_planned|appointment_one_planned_per_request"

# as the other lists of the work queue (test_contractor_queries.WORK_QUEUE_QUERIES)
WORK_QUEUE_QUERIES = 8


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def references(response) -> list[str]:
    return [item.reference for item in response.context["page"]]


def planned_list(client, **params):
    response = client.get(reverse("work_queue", args=["planned"]), params)
    assert response.status_code == 200
    return response


def test_a_request_the_tenant_booked_is_planned_before_its_day(now, planner_client, chain):
    # given the tenant reports a dripping tap and books a visit in three days
    slot = chain.slot(days=3)
    booked = services.repair_request_report(
        tenancy=chain.tenancy,
        category=chain.category,
        description="The kitchen tap drips day and night.",
        actor=chain.tenant,
        contact_phone="06 12345678",
        slot_id=slot.pk,
    )

    # when the planner opens the lists
    planned = planned_list(planner_client)
    others = {
        name: references(planner_client.get(reverse("work_queue", args=[name])))
        for name in ("new", "plan", "today", "overdue", "emergency")
    }

    # then it is under "Planned" with its visit, and in none of the lists to act on
    assert references(planned) == [booked.reference]
    assert "Scheduled · Fri 13 Mar morning" in text_of(planned)
    assert others == {name: [] for name in others}
    html = planned.content.decode()
    assert (
        f'<a class="nav-link active" aria-current="page" href="{reverse("work_queue", args=["planned"])}">Planned</a>'
        in html
    )


def test_planned_work_is_in_visit_order_from_today_on(now, planner_client, chain, craftsman):
    # given visits next week, this afternoon, tomorrow morning and this morning; one visit of
    # yesterday never recorded, one done, one moved away and one cancelled
    next_week = factories.scheduled_request_create(chain, chain.slot(days=7))
    afternoon = factories.scheduled_request_create(
        chain, chain.slot(days=0, daypart=chain.afternoon), craftsman=craftsman
    )
    tomorrow = factories.scheduled_request_create(chain, chain.slot(days=1), is_urgent=True)
    morning = factories.scheduled_request_create(chain, chain.slot(days=0))
    factories.scheduled_request_create(chain, chain.slot(days=-1))
    in_two_days = chain.slot(days=2, capacity=3)
    for status in (AppointmentStatus.DONE, AppointmentStatus.MOVED, AppointmentStatus.CANCELLED):
        repair_request = factories.routed_request_create(chain)
        factories.visit_create(repair_request, in_two_days, status=status)

    # when
    response = planned_list(planner_client)

    # then
    assert references(response) == [
        morning.reference,
        afternoon.reference,
        tomorrow.reference,
        next_week.reference,
    ]
    assert "Scheduled · Tue 10 Mar afternoon (Kees Klusser)" in text_of(response)


def test_another_contractors_planned_work_never_shows(now, planner_client, chain, other_chain):
    # given a booked visit of another contractor (on a street of the same name), and one of
    # the planner's own contractor
    theirs = factories.scheduled_request_create(other_chain, other_chain.slot(days=1))
    ours = factories.scheduled_request_create(chain, chain.slot(days=2))

    # when
    everything = planned_list(planner_client)
    searched = planned_list(planner_client, q=theirs.reference)
    by_street = planned_list(planner_client, q="Kerkstraat")

    # then
    assert references(everything) == [ours.reference]
    assert references(searched) == []
    assert references(by_street) == [ours.reference]


def test_only_a_planner_opens_the_planned_list(
    now, english_client, chain, other_chain, craftsman, planner_client
):
    # given a booked visit of each contractor, and the other contractor's planner
    ours = factories.scheduled_request_create(chain, chain.slot(days=2))
    theirs = factories.scheduled_request_create(other_chain, other_chain.slot(days=2))
    other_planner = factories.planner_create(other_chain.contractor, email="p@ander.nl")
    url = reverse("work_queue", args=["planned"])

    # when
    anonymous = english_client().get(url)
    tenant = english_client(chain.tenant).get(url)
    as_craftsman = english_client(craftsman).get(url)
    other = english_client(other_planner).get(url)

    # then
    assert anonymous.status_code == 302
    assert tenant.status_code == 404
    assert as_craftsman.status_code == 404
    assert references(other) == [theirs.reference]
    assert references(planned_list(planner_client)) == [ours.reference]


def test_the_planned_list_asks_the_same_with_1_and_50_requests(
    now, planner_client, chain, craftsman, django_assert_max_num_queries
):
    # given one booked visit, at its own home, under its own category
    slots = [chain.slot(days=day, capacity=20) for day in range(1, 4)]

    def add(number: int):
        dwelling = factories.DwellingFactory(organisation=chain.organisation)
        factories.scheduled_request_create(
            chain,
            slots[number % 3],
            craftsman=craftsman if number % 2 else None,
            dwelling=dwelling,
            tenancy=factories.TenancyFactory(dwelling=dwelling, tenant=factories.UserFactory()),
            category=factories.RepairCategoryFactory(organisation=chain.organisation),
        )

    def measure(**params) -> int:
        with django_assert_max_num_queries(WORK_QUEUE_QUERIES) as captured:
            planned_list(planner_client, **params)
        return len(captured)

    add(0)
    planned_list(planner_client)  # warm up what is read once per process
    one = measure()

    # when there are 50, over two pages
    for number in range(1, 50):
        add(number)
    fifty = measure()
    second_page = measure(pagina=2)
    searched = measure(q="Kerkstraat")

    # then
    response = planned_list(planner_client)
    assert len(response.context["page"]) == 25
    assert response.context["page"].paginator.count == 50
    assert fifty == one
    assert second_page == one
    assert searched <= one + 1


@pytest.mark.parametrize("name", ["new", "planned", "all"])
def test_a_search_that_finds_nothing_says_so(now, planner_client, chain, name):
    # given work on Kerkstraat only
    factories.routed_request_create(chain)
    factories.scheduled_request_create(chain, chain.slot(days=2))

    # when
    response = planner_client.get(reverse("work_queue", args=[name]), {"q": "Dorpsstraat"})

    # then
    assert references(response) == []
    assert "No results for “Dorpsstraat”." in text_of(response)
    assert "Nothing in this list." not in text_of(response)


def test_a_search_that_finds_nothing_says_so_in_dutch(now, client, planner, chain):
    # given
    client.force_login(planner)
    factories.scheduled_request_create(chain, chain.slot(days=2))

    # when
    response = client.get(
        reverse("work_queue", args=["planned"]), {"q": "Dorpsstraat"}, HTTP_ACCEPT_LANGUAGE="nl"
    )

    # then
    text = text_of(response)
    assert "Geen resultaten voor “Dorpsstraat”." in text
    assert ">Gepland</a>" in response.content.decode()


def test_an_empty_list_without_a_search_says_it_is_empty(now, planner_client, chain):
    # when
    response = planned_list(planner_client)

    # then
    assert "Nothing in this list." in text_of(response)
    assert "No results" not in text_of(response)


@pytest.fixture
def visits(installation):
    """Years of visits in the filled installation: a done visit for each completed request,
    and a planned one in the coming two weeks for each scheduled request."""
    slot = installation.slot(days=20, capacity=1)
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO repairs_appointment (organisation_id, request_id, contractor_id, slot_id,
                starts_at, ends_at, status, created_at, sequence, outcome, outcome_reason,
                outcome_notes)
            SELECT r.organisation_id, r.id, r.contractor_id, %s,
                   CASE WHEN r.status = 'completed' THEN r.created_at + interval '2 days'
                        ELSE now() + (r.id %% 14) * interval '1 day' END,
                   CASE WHEN r.status = 'completed' THEN r.created_at + interval '2 days 4 hours'
                        ELSE now() + (r.id %% 14) * interval '1 day' + interval '4 hours' END,
                   CASE WHEN r.status = 'completed' THEN 'done' ELSE 'planned' END,
                   r.created_at, 0, '', '', ''
            FROM repairs_repairrequest r
            WHERE r.reference LIKE 'R-2020-%%' AND r.status IN ('completed', 'scheduled')
            """,
            [slot.pk],
        )
        cursor.execute("VACUUM ANALYZE repairs_appointment")
    return installation


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("postgres_only")
def test_the_planned_list_reads_the_visits_in_time_order_by_index(visits, planner_client):
    # given a filled, vacuumed and analyzed installation (tests/test_list_plans.py) with years
    # of visits

    # when
    problems = [
        problem
        for query, index, in_order in [
            # a few thousand open visits at most: either is fast, and read in the list's order
            # only the index of planned visits serves
            ("", "appointment_contractor_planned|request_contractor_queue", True),
            ("?pagina=2", "appointment_contractor_planned|request_contractor_queue", True),
            # a search reads the open visits or the street's dwellings, never all requests
            ("?q=berselstraat", PLANNED_VISITS + "|dwelling_street_trgm", False),
        ]
        for problem in _check(
            planner_client,
            reverse("work_queue", args=["planned"]) + query,
            index,
            in_order=in_order,
        )
    ]

    # then
    assert problems == []
