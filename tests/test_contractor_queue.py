"""The planner's work queue and request page: the five lists, search, paging, and what a
request's page tells (address, tenant, access, VERA codes, photos, timeline, visits)."""

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse

from repairs.lifecycle import Status
from repairs.models import AppointmentStatus

from . import factories


def text_of(response) -> str:
    """The page's text as a person reads it: tags dropped, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def references(response) -> list[str]:
    return [item.reference for item in response.context["page"]]


def queue(client, name: str, **params):
    response = client.get(reverse("work_queue", args=[name]), params)
    assert response.status_code == 200
    return response


@pytest.fixture
def lists(now, chain, other_chain, craftsman):
    """One request in each state, in the order they were reported, and work of others."""
    yesterday = chain.slot(days=-1, capacity=2)
    today_morning = chain.slot(days=0, capacity=2)
    today_afternoon = chain.slot(days=0, daypart=chain.afternoon, capacity=2)
    later = chain.slot(days=3, capacity=2)
    fresh = factories.routed_request_create(chain)
    emergency = factories.routed_request_create(chain, is_urgent=True)
    no_time = factories.routed_request_create(
        chain, planning_note="No free daypart in the next 14 days."
    )
    follow_up = factories.routed_request_create(chain, status=Status.FOLLOW_UP)
    factories.visit_create(
        follow_up,
        yesterday,
        craftsman=craftsman,
        status=AppointmentStatus.DONE,
        outcome="follow_up",
        outcome_reason="MAT",
    )
    overdue = factories.scheduled_request_create(chain, yesterday, craftsman=craftsman)
    this_morning = factories.scheduled_request_create(chain, today_morning)
    this_afternoon = factories.scheduled_request_create(chain, today_afternoon)
    coming = factories.scheduled_request_create(chain, later, is_urgent=True)
    done_emergency = factories.routed_request_create(chain, is_urgent=True, status=Status.COMPLETED)
    cancelled = factories.routed_request_create(chain, status=Status.CANCELLED)
    # another contractor's work, in another association
    factories.routed_request_create(other_chain, is_urgent=True)
    factories.scheduled_request_create(other_chain, other_chain.slot(days=0, capacity=2))
    return {
        "fresh": fresh,
        "emergency": emergency,
        "no_time": no_time,
        "follow_up": follow_up,
        "overdue": overdue,
        "this_morning": this_morning,
        "this_afternoon": this_afternoon,
        "coming": coming,
        "done_emergency": done_emergency,
        "cancelled": cancelled,
    }


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("new", ["emergency", "fresh", "no_time"]),
        ("plan", ["emergency", "fresh", "no_time", "follow_up"]),
        ("today", ["this_morning", "this_afternoon"]),
        ("overdue", ["overdue"]),
        ("emergency", ["emergency", "coming"]),
    ],
)
def test_each_list_holds_its_requests_emergencies_first(planner_client, lists, name, expected):
    # when
    response = queue(planner_client, name)

    # then
    assert references(response) == [lists[key].reference for key in expected]


def test_an_unknown_list_is_not_found(planner_client, lists):
    # when
    response = planner_client.get(reverse("work_queue", args=["archive"]))

    # then
    assert response.status_code == 404


def test_a_reference_not_in_this_list_is_found_under_all_requests(planner_client, lists):
    # given a request that is planned already, so not new
    wanted = lists["coming"]

    # when the planner searches for it in the list of new requests, then in all requests
    in_new = queue(planner_client, "new", q=wanted.reference)
    in_all = queue(planner_client, "all", q=wanted.reference)

    # then the first says so and links to the second, which finds it
    assert references(in_new) == []
    assert f'href="/aannemer/werk/all/?q={wanted.reference}"' in in_new.content.decode()
    assert references(in_all) == [wanted.reference]


def test_a_list_shows_what_the_planner_needs_to_act(planner_client, chain, lists, craftsman):
    # when
    plan = text_of(queue(planner_client, "plan"))
    overdue = text_of(queue(planner_client, "overdue"))

    # then the reason it waits, the association and the address are shown
    no_time = lists["no_time"]
    assert (
        f"{no_time.reference} · Tap leaks Kerkstraat {chain.dwelling.house_number}, 5611 AB "
        f"Eindhoven · Woonstichting Kempenland Reported 10 Mar 10:00 · Routed · No free daypart "
        f"in the next 14 days."
    ) in plan
    assert f"{lists['emergency'].reference} · Tap leaks emergency" in plan
    assert "Scheduled · Mon 9 Mar morning (Kees Klusser)" in overdue


def test_lists_reach_across_the_associations_of_the_contractor(planner_client, chain, lists):
    # given a contract of the same contractor with another association, and work there
    elsewhere = factories.chain_create(postcode="5612CD")
    elsewhere.contract.contractor = chain.contractor
    elsewhere.contract.save(update_fields=["contractor"])
    elsewhere.contractor = chain.contractor
    there = factories.routed_request_create(elsewhere)

    # when
    response = queue(planner_client, "new")

    # then
    assert references(response) == [
        lists["emergency"].reference,
        lists["fresh"].reference,
        lists["no_time"].reference,
        there.reference,
    ]
    assert elsewhere.organisation.name in text_of(response)


@pytest.fixture
def addresses(now, chain):
    """Three homes in the area, each with a new request."""
    homes = [
        ("Kerkstraat", 1, "5611AB"),
        ("Molenweg", 5, "5612CD"),
        ("Stationsplein", 2, "5643XY"),
    ]
    requests = {}
    for street, number, postcode in homes:
        dwelling = factories.DwellingFactory(
            organisation=chain.organisation, street=street, house_number=number, postcode=postcode
        )
        requests[street] = factories.routed_request_create(chain, dwelling=dwelling, tenancy=None)
    return requests


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("molenweg", ["Molenweg"]),
        ("  Kerk ", ["Kerkstraat"]),
        ("straat", ["Kerkstraat"]),
        ("5612 cd", ["Molenweg"]),
        ("5643XY", ["Stationsplein"]),
        ("5611", ["Kerkstraat"]),
        ("56", []),
        ("5699ZZ", []),
        ("Dorpsstraat", []),
    ],
)
def test_search_by_street_or_postcode(planner_client, addresses, query, expected):
    # when
    response = queue(planner_client, "new", q=query)

    # then
    assert references(response) == [addresses[street].reference for street in expected]


def test_search_by_reference_finds_exactly_that_request(planner_client, addresses):
    # given
    wanted = addresses["Molenweg"].reference

    # when
    exact = queue(planner_client, "new", q=wanted.lower())
    partial = queue(planner_client, "new", q=wanted[:-1])

    # then
    assert references(exact) == [wanted]
    assert references(partial) == []


def test_search_keeps_to_the_list_and_the_contractor(planner_client, other_chain, addresses):
    # given a request of another contractor on a street of the same name
    factories.routed_request_create(other_chain)

    # when
    response = queue(planner_client, "today", q="Kerkstraat")

    # then
    assert references(response) == []
    assert "No results for “Kerkstraat”." in text_of(response)


def test_the_list_pages_by_25_and_keeps_the_search(now, planner_client, chain):
    # given 30 new requests on Kerkstraat and one elsewhere
    kerkstraat = [factories.routed_request_create(chain).reference for _ in range(30)]
    elsewhere = factories.DwellingFactory(organisation=chain.organisation, street="Molenweg")
    factories.routed_request_create(chain, dwelling=elsewhere, tenancy=None)

    # when
    first = queue(planner_client, "new", q="kerkstraat")
    second = queue(planner_client, "new", q="kerkstraat", pagina=2)
    beyond = queue(planner_client, "new", q="kerkstraat", pagina=9)

    # then
    assert references(first) == kerkstraat[:25]
    assert references(second) == kerkstraat[25:]
    assert references(beyond) == kerkstraat[25:]
    html = first.content.decode()
    assert 'href="?pagina=2&amp;q=kerkstraat">Next</a>' in html
    assert "1 / 2" in text_of(first)
    assert 'href="?pagina=1&amp;q=kerkstraat">Previous</a>' in second.content.decode()


def test_the_request_page_shows_all_a_planner_and_craftsman_need(
    now, planner_client, chain, craftsman, media_root
):
    # given a request reported by the tenant with access notes and two photos, visited
    # yesterday without result (material), and planned again this afternoon
    repair_request = factories.routed_request_create(
        chain,
        status=Status.FOLLOW_UP,
        description="The kitchen tap drips day and night.",
        access_notes="Dog in the garden; ring twice.",
    )
    photos = [factories.PhotoFactory(request=repair_request) for _ in range(2)]
    yesterday = chain.slot(days=-1)
    factories.visit_create(
        repair_request,
        yesterday,
        craftsman=craftsman,
        status=AppointmentStatus.DONE,
        outcome="follow_up",
        outcome_reason="MAT",
        outcome_notes="Needs a new cartridge.",
    )
    factories.RepairEventFactory(
        request=repair_request,
        status=Status.FOLLOW_UP,
        data={"outcome": "follow_up", "reason": "MAT"},
    )
    afternoon = chain.slot(days=0, daypart=chain.afternoon)
    factories.visit_create(repair_request, afternoon, craftsman=craftsman)

    # when
    response = planner_client.get(reverse("contractor_request", args=[repair_request.reference]))

    # then
    assert response.status_code == 200
    text = text_of(response)
    number = chain.dwelling.house_number
    assert (
        f"Address and tenant Kerkstraat {number}, 5611 AB Eindhoven (Woonstichting Kempenland, "
        f"{chain.dwelling.reference}) Sanne {chain.tenant.last_name} · huurder@example.nl "
        "Phone: 06 12345678 Access: Dog in the garden; ring twice."
    ) in text
    assert (
        "What Room (DEFECTLOCATIE) KEU – Keuken Defect (DEFECTSOORT) LEK – Lekt "
        "Trade (ONDERHOUDSPECIALISME) LOO – Loodgieter The kitchen tap drips day and night."
    ) in text
    assert (
        "Visits Monday 9 March, morning (08:00–12:00) · Visit done Kees Klusser · Follow-up "
        "needed (MAT) Needs a new cartridge. Tuesday 10 March, afternoon (12:00–17:00) · "
        "Planned Kees Klusser Timeline"
    ) in text
    assert (
        "Timeline Received 10 March 2026, 10:00 Passed on to "
        f"{chain.contractor.name} 10 March 2026, 10:00 Appointment on Monday 9 March morning "
        "10 March 2026, 10:00 Another appointment is needed 10 March 2026, 10:00"
    ) in text
    html = response.content.decode()
    for photo in photos:
        url = reverse("contractor_photo", args=[repair_request.reference, photo.pk])
        assert f'<a href="{url}"><img class="photo-thumb" src="{url}"' in html
    assert 'href="tel:06 12345678"' in html
    assert 'href="mailto:huurder@example.nl"' in html


def test_the_request_page_of_a_phone_report_names_no_tenant(now, planner_client, chain):
    # given a request staff took by phone for a vacant home: no tenant, no account
    dwelling = factories.DwellingFactory(organisation=chain.organisation, is_vacant=True)
    repair_request = factories.routed_request_create(
        chain, dwelling=dwelling, tenancy=None, reported_by=None, contact_phone=""
    )

    # when
    response = planner_client.get(reverse("contractor_request", args=[repair_request.reference]))

    # then
    text = text_of(response)
    assert (
        f"Address and tenant Kerkstraat {dwelling.house_number}, 5611 AB Eindhoven "
        f"(Woonstichting Kempenland, {dwelling.reference}) What"
    ) in text
    assert "No visits yet." in text
    assert "Plan a visit" in text


def test_a_photo_is_served_to_the_planner(now, planner_client, chain, media_root):
    # given
    repair_request = factories.routed_request_create(chain)
    photo = factories.PhotoFactory(request=repair_request)

    # when
    response = planner_client.get(
        reverse("contractor_photo", args=[repair_request.reference, photo.pk])
    )

    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    assert b"".join(response.streaming_content) == photo.image.open("rb").read()


def test_a_photo_of_another_request_is_not_found_under_this_reference(
    now, planner_client, chain, media_root
):
    # given two requests of the contractor
    first = factories.routed_request_create(chain)
    second = factories.routed_request_create(chain)
    photo = factories.PhotoFactory(request=second)

    # when
    response = planner_client.get(reverse("contractor_photo", args=[first.reference, photo.pk]))

    # then
    assert response.status_code == 404


def test_the_days_overview_is_in_time_order(
    now, planner_client, craftsman_client, chain, craftsman
):
    # given visits today: the afternoon's assigned to the craftsman, two unassigned in the
    # morning, one of a colleague, and one tomorrow
    colleague = factories.craftsman_create(chain.contractor, first_name="Ali", last_name="Bakker")
    morning = chain.slot(days=0, capacity=3)
    afternoon = chain.slot(days=0, daypart=chain.afternoon, capacity=3)
    own = factories.scheduled_request_create(chain, afternoon, craftsman=craftsman)
    first = factories.scheduled_request_create(chain, morning)
    colleagues = factories.scheduled_request_create(chain, morning, craftsman=colleague)
    second = factories.scheduled_request_create(chain, morning)
    factories.scheduled_request_create(chain, chain.slot(days=1), craftsman=craftsman)

    # when
    planners_day = planner_client.get(reverse("craftsman_day"))
    craftsmans_day = craftsman_client.get(reverse("craftsman_day"))

    # then
    def shown(response):
        return [visit.request.reference for visit in response.context["visits"]]

    assert shown(planners_day) == [
        first.reference,
        colleagues.reference,
        second.reference,
        own.reference,
    ]
    assert shown(craftsmans_day) == [first.reference, second.reference, own.reference]
    assert datetime.date(2026, 3, 10) == craftsmans_day.context["today"]
