"""Requests past their latest completion in the planner's queue: the list "Past the deadline"
("Te laat"), the marker on every list and on the request's page, who sees them, the tenant's
"done by" line, and the queries of each page at 1 and 50 rows."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from repairs.lifecycle import Status

from . import factories
from .queries import count_queries_settled
from .test_contractor_queue import references, text_of

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# conftest's NOW is Tuesday 10 March 2026, 10:00
PAST = datetime.datetime(2026, 3, 6, 0, 0, tzinfo=AMSTERDAM)  # end of Thursday 5 March
LONG_PAST = datetime.datetime(2026, 3, 3, 0, 0, tzinfo=AMSTERDAM)  # end of Monday 2 March
LATER = datetime.datetime(2026, 3, 21, 0, 0, tzinfo=AMSTERDAM)  # end of Friday 20 March

LATE_QUERIES = 8


@pytest.fixture
def work(now, chain, other_chain):
    """Requests of the chain's contractor with deadlines past and to come, closed ones past
    theirs, one without a deadline, and another contractor's late request."""
    return {
        "late": factories.routed_request_create(chain, complete_due_at=PAST),
        "later": factories.routed_request_create(chain, complete_due_at=LATER),
        "latest": factories.routed_request_create(
            chain, complete_due_at=LONG_PAST, status=Status.FOLLOW_UP
        ),
        "done": factories.routed_request_create(
            chain, complete_due_at=PAST, status=Status.COMPLETED
        ),
        "none": factories.routed_request_create(chain),
        "theirs": factories.routed_request_create(other_chain, complete_due_at=PAST),
    }


def late_list(client, **params):
    response = client.get(reverse("work_queue", args=["late"]), params)
    assert response.status_code == 200
    return response


def test_the_late_list_holds_open_requests_past_their_deadline_longest_first(planner_client, work):
    response = late_list(planner_client)

    assert references(response) == [work["latest"].reference, work["late"].reference]
    page = text_of(response)
    assert "Past the deadline" in page
    assert f"{work['late'].reference} · Tap leaks past the deadline" in page
    assert "done by 5 March 2026" in page


def test_the_late_list_is_a_tab_of_the_queue_in_dutch(client, planner, work):
    client.force_login(planner)
    response = client.get(reverse("work_queue", args=["new"]), HTTP_ACCEPT_LANGUAGE="nl")

    page = text_of(response)
    assert "Te laat" in page
    assert "Bezoek niet afgemeld" in page
    assert f"{work['late'].reference} · Kraan lekt te laat" in page
    assert "uiterlijk klaar op 5 maart 2026" in page


def test_every_list_marks_a_late_request(planner_client, work):
    page = text_of(planner_client.get(reverse("work_queue", args=["all"])))

    assert f"{work['late'].reference} · Tap leaks past the deadline" in page
    assert f"{work['later'].reference} · Tap leaks past the deadline" not in page
    assert f"{work['later'].reference} · Tap leaks" in page
    assert f"{work['done'].reference} · Tap leaks past the deadline" not in page


def test_the_request_page_shows_the_latest_completion(planner_client, work):
    late = planner_client.get(reverse("contractor_request", args=[work["late"].reference]))
    later = planner_client.get(reverse("contractor_request", args=[work["later"].reference]))
    none = planner_client.get(reverse("contractor_request", args=[work["none"].reference]))

    assert "Latest completion: 5 March 2026 past the deadline" in text_of(late)
    assert "Latest completion: 20 March 2026" in text_of(later)
    assert "past the deadline" not in text_of(later)
    assert "Latest completion" not in text_of(none)


def test_an_emergencys_deadline_reads_to_the_minute(now, planner_client, chain):
    emergency = factories.routed_request_create(
        chain,
        is_urgent=True,
        complete_due_at=datetime.datetime(2026, 3, 10, 9, 15, tzinfo=AMSTERDAM),
    )

    page = text_of(planner_client.get(reverse("contractor_request", args=[emergency.reference])))

    assert "Latest completion: 10 March 2026 09:15 past the deadline" in page


def test_another_contractors_planner_sees_none_of_it(english_client, other_chain, work):
    # given the planner of the other chain's contractor
    theirs = english_client(factories.planner_create(other_chain.contractor))

    # when
    response = late_list(theirs)
    page = theirs.get(reverse("contractor_request", args=[work["late"].reference]))

    # then only their own late request, and ours is not found
    assert references(response) == [work["theirs"].reference]
    assert page.status_code == 404


def test_a_craftsman_has_no_late_list(craftsman_client, work):
    response = craftsman_client.get(reverse("work_queue", args=["late"]))

    assert response.status_code in (403, 404)


def test_the_late_list_is_searched(planner_client, work):
    response = late_list(planner_client, q=work["late"].reference)

    assert references(response) == [work["late"].reference]


def test_the_tenant_reads_when_it_is_done_at_the_latest(tenant_client, work):
    open_page = tenant_client.get(reverse("repair_detail", args=[work["later"].reference]))
    closed_page = tenant_client.get(reverse("repair_detail", args=[work["done"].reference]))

    assert "Done by 20 March 2026 at the latest." in text_of(open_page)
    assert "at the latest" not in text_of(closed_page)


def test_the_tenant_reads_it_in_dutch(client, chain, work):
    client.force_login(chain.tenant)
    page = client.get(
        reverse("repair_detail", args=[work["later"].reference]), HTTP_ACCEPT_LANGUAGE="nl"
    )

    assert "Uiterlijk klaar op 20 maart 2026." in text_of(page)


def test_the_late_list_asks_the_same_with_1_and_50_requests(now, planner_client, chain):
    def add():
        factories.routed_request_create(
            chain,
            complete_due_at=PAST,
            category=factories.RepairCategoryFactory(organisation=chain.organisation),
            dwelling=factories.DwellingFactory(organisation=chain.organisation),
            tenancy=None,
        )

    add()
    url = reverse("work_queue", args=["late"])
    one = count_queries_settled(planner_client, url)
    for _ in range(49):
        add()
    fifty = count_queries_settled(planner_client, url)
    second_page = count_queries_settled(planner_client, url, {"pagina": "2"})

    assert len(late_list(planner_client).context["page"]) == 25
    assert one == fifty == second_page
    assert one <= LATE_QUERIES


def test_the_pages_that_show_a_deadline_ask_no_more_for_it(
    now, planner_client, tenant_client, chain
):
    # given one request with a deadline and one without
    with_deadline = factories.routed_request_create(chain, complete_due_at=LATER)
    without = factories.routed_request_create(chain)

    def pages(reference):
        return (
            count_queries_settled(planner_client, reverse("contractor_request", args=[reference])),
            count_queries_settled(tenant_client, reverse("repair_detail", args=[reference])),
        )

    # then the request pages ask the same either way
    assert pages(with_deadline.reference) == pages(without.reference)


def test_the_request_page_shows_when_the_visit_is_due_while_it_can_be_planned(
    planner_client, chain, now
):
    waiting = factories.routed_request_create(
        chain,
        visit_due_at=datetime.datetime(2026, 3, 14, 0, 0, tzinfo=AMSTERDAM),
        complete_due_at=LATER,
    )
    done = factories.routed_request_create(
        chain,
        status=Status.COMPLETED,
        visit_due_at=datetime.datetime(2026, 3, 14, 0, 0, tzinfo=AMSTERDAM),
        complete_due_at=LATER,
    )

    page = text_of(planner_client.get(reverse("contractor_request", args=[waiting.reference])))
    closed = text_of(planner_client.get(reverse("contractor_request", args=[done.reference])))

    assert "Visit by: 13 March 2026 · Latest completion: 20 March 2026" in page
    assert "Visit by" not in closed
    assert "Latest completion: 20 March 2026" in closed
