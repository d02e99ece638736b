"""Who may open the contractor's pages: the role matrix of every contractor URL.

Anyone not logged in is sent to the login page. A tenant, staff (of any association) and the
planners and craftsmen of every other contractor get 404 on the contractor's work, even a
contractor of the same association or one that held the same area before: the same answer
as for a page that does not exist (DESIGN.md, Multi-tenancy). The own planner sees all work of
the contractor; the own craftsman only their own visits and today's unassigned ones.
"""

import datetime

import pytest
from django.urls import reverse

from contractors.models import Slot
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, RepairEvent, RepairRequest

from . import factories

QUEUES = ["new", "plan", "today", "overdue", "emergency"]


@pytest.fixture
def work(now, chain, craftsman, media_root):
    """An emergency of the chain with a photo and a visit this afternoon for the craftsman,
    and a daypart of the coming days to change."""
    afternoon = chain.slot(days=0, daypart=chain.afternoon, capacity=2)
    repair_request = factories.routed_request_create(
        chain, is_urgent=True, access_notes="Key with the neighbours at number 3."
    )
    visit = factories.visit_create(repair_request, afternoon, craftsman=craftsman)
    photo = factories.PhotoFactory(request=repair_request)
    return {
        "request": repair_request,
        "visit": visit,
        "photo": photo,
        "slot": chain.slot(days=3, capacity=2),
        "free": chain.slot(days=4, capacity=2),
    }


def object_urls(chain, work) -> dict[str, str]:
    """The URLs about one piece of the contractor's work."""
    reference = work["request"].reference
    return {
        "contractor_request": reverse("contractor_request", args=[reference]),
        "plan_visit": reverse("plan_visit", args=[reference]),
        "confirm_emergency": reverse("confirm_emergency", args=[reference]),
        "contractor_photo": reverse("contractor_photo", args=[reference, work["photo"].pk]),
        "visit_record": reverse("visit_record", args=[work["visit"].pk]),
        "capacity_area": reverse("capacity_area", args=[chain.area.pk]),
        "slot_edit": reverse("slot_edit", args=[work["slot"].pk]),
    }


def list_urls() -> dict[str, str]:
    """The URLs every contractor user has, each showing their own contractor's work."""
    return {
        "contractor_home": reverse("contractor_home"),
        **{f"work_queue_{name}": reverse("work_queue", args=[name]) for name in QUEUES},
        "craftsman_day": reverse("craftsman_day"),
        "capacity_overview": reverse("capacity_overview"),
        "contractor_kpis": reverse("contractor_kpis"),
    }


def all_urls(chain, work) -> dict[str, str]:
    return {**list_urls(), **object_urls(chain, work)}


OBJECT_PAGES = [
    "contractor_request",
    "plan_visit",
    "confirm_emergency",
    "contractor_photo",
    "visit_record",
    "capacity_area",
    "slot_edit",
]
LIST_PAGES = [
    "contractor_home",
    *[f"work_queue_{name}" for name in QUEUES],
    "craftsman_day",
    "capacity_overview",
    "contractor_kpis",
]
ALL_PAGES = LIST_PAGES + OBJECT_PAGES
# The planner-only pages; the rest a craftsman has as well.
PLANNER_PAGES = [
    *[f"work_queue_{name}" for name in QUEUES],
    "plan_visit",
    "confirm_emergency",
    "capacity_overview",
    "capacity_area",
    "slot_edit",
    "contractor_kpis",
]


def _same_association_contractor(chain):
    """The contractor of another area of the same association."""
    area = factories.AreaFactory(organisation=chain.organisation)
    factories.PostcodeRuleFactory(area=area, range_start=5700, range_end=5799)
    return factories.ContractFactory(area=area).contractor


def _former_contractor_of_the_area(chain):
    """The contractor that held the same area until the chain's contractor took over."""
    chain.contract.valid_from = datetime.date(2025, 1, 1)
    chain.contract.save(update_fields=["valid_from"])
    return factories.ContractFactory(
        area=chain.area,
        valid_from=datetime.date(2020, 1, 1),
        valid_until=datetime.date(2024, 12, 31),
    ).contractor


OUTSIDERS = {
    "tenant": lambda chain, other_chain: chain.tenant,
    "other-contractors-planner": lambda chain, other_chain: factories.planner_create(
        other_chain.contractor
    ),
    "other-contractors-craftsman": lambda chain, other_chain: factories.craftsman_create(
        other_chain.contractor
    ),
    "same-association-planner": lambda chain, other_chain: factories.planner_create(
        _same_association_contractor(chain)
    ),
    "same-association-craftsman": lambda chain, other_chain: factories.craftsman_create(
        _same_association_contractor(chain)
    ),
    "former-area-planner": lambda chain, other_chain: factories.planner_create(
        _former_contractor_of_the_area(chain)
    ),
    "other-associations-staff": lambda chain, other_chain: factories.StaffUserFactory(
        organisation=other_chain.organisation
    ),
    "own-associations-staff": lambda chain, other_chain: factories.StaffUserFactory(
        organisation=chain.organisation
    ),
}


def open_page(client, page: str, url: str):
    """Open the page as its form does: confirming an emergency is a POST, the rest GETs."""
    if page == "confirm_emergency":
        return client.post(url)
    return client.get(url)


@pytest.mark.parametrize("page", ALL_PAGES)
def test_anyone_not_logged_in_is_sent_to_the_login_page(client, chain, work, page):
    # given
    url = all_urls(chain, work)[page]

    # when
    response = open_page(client, page, url)

    # then
    assert response.status_code == 302
    assert response.url == f"{reverse('login')}?next={url}"


@pytest.mark.parametrize("page", OBJECT_PAGES)
@pytest.mark.parametrize("make_user", OUTSIDERS.values(), ids=OUTSIDERS.keys())
def test_no_one_outside_the_contractor_reaches_its_work(
    english_client, chain, other_chain, work, page, make_user
):
    # given
    client = english_client(make_user(chain, other_chain))

    # when
    response = open_page(client, page, object_urls(chain, work)[page])

    # then
    assert response.status_code == 404


@pytest.mark.parametrize("page", LIST_PAGES)
@pytest.mark.parametrize(
    "make_user",
    [
        OUTSIDERS["tenant"],
        OUTSIDERS["other-associations-staff"],
        OUTSIDERS["own-associations-staff"],
    ],
    ids=["tenant", "other-associations-staff", "own-associations-staff"],
)
def test_tenants_and_staff_have_no_contractor_pages(
    english_client, chain, other_chain, work, page, make_user
):
    # given
    client = english_client(make_user(chain, other_chain))

    # when
    response = client.get(list_urls()[page])

    # then
    assert response.status_code == 404


OTHER_CONTRACTOR_USERS = {
    name: OUTSIDERS[name]
    for name in (
        "other-contractors-planner",
        "same-association-planner",
        "former-area-planner",
    )
}


@pytest.mark.parametrize("page", [p for p in LIST_PAGES if p != "contractor_home"])
@pytest.mark.parametrize("make_user", OTHER_CONTRACTOR_USERS.values(), ids=OTHER_CONTRACTOR_USERS)
def test_another_contractors_planner_sees_none_of_the_work_in_their_lists(
    english_client, chain, other_chain, work, page, make_user
):
    # given a planner of another contractor
    client = english_client(make_user(chain, other_chain))

    # when
    response = client.get(list_urls()[page], follow=True)

    # then the lists are theirs, without the chain's work
    assert response.status_code == 200
    html = response.content.decode()
    assert work["request"].reference not in html
    assert reverse("contractor_request", args=[work["request"].reference]) not in html
    assert reverse("capacity_area", args=[chain.area.pk]) not in html
    assert reverse("slot_edit", args=[work["slot"].pk]) not in html


@pytest.mark.parametrize(
    "make_user",
    [OUTSIDERS["other-contractors-craftsman"], OUTSIDERS["same-association-craftsman"]],
    ids=["other-contractors-craftsman", "same-association-craftsman"],
)
def test_another_contractors_craftsman_sees_none_of_the_work_today(
    english_client, chain, other_chain, work, make_user
):
    # given today's unassigned visit of the chain, which any of its own craftsmen may take
    unassigned = factories.scheduled_request_create(
        chain, Slot.objects.get(pk=work["visit"].slot_id)
    )
    client = english_client(make_user(chain, other_chain))

    # when
    response = client.get(reverse("craftsman_day"))

    # then
    assert response.status_code == 200
    assert list(response.context["visits"]) == []
    html = response.content.decode()
    assert work["request"].reference not in html
    assert unassigned.reference not in html
    assert "No visits today." in html


@pytest.mark.parametrize("make_user", OUTSIDERS.values(), ids=OUTSIDERS.keys())
def test_no_one_outside_the_contractor_changes_its_work(
    english_client, chain, other_chain, work, craftsman, make_user
):
    # given
    client = english_client(make_user(chain, other_chain))
    urls = object_urls(chain, work)
    events_before = list(RepairEvent.objects.order_by("pk").values_list("pk", flat=True))

    # when each change is posted
    responses = [
        client.post(urls["plan_visit"], {"slot": work["free"].pk, "craftsman": ""}),
        client.post(urls["confirm_emergency"]),
        client.post(urls["visit_record"], {"outcome": "fixed", **reuse_management()}),
        client.post(urls["slot_edit"], {"capacity": 0, "note": "Holiday"}),
        client.post(urls["capacity_area"], {f"cap_0_{chain.morning.pk}": "9"}),
    ]

    # then each is refused as not found, and nothing changed
    assert [response.status_code for response in responses] == [404] * 5
    repair_request = RepairRequest.objects.get(pk=work["request"].pk)
    assert (repair_request.status, repair_request.contractor_confirmed_at) == (
        Status.SCHEDULED,
        None,
    )
    assert list(Appointment.objects.values_list("pk", "status", "slot_id", "craftsman_id")) == [
        (work["visit"].pk, AppointmentStatus.PLANNED, work["visit"].slot_id, craftsman.pk)
    ]
    assert list(RepairEvent.objects.order_by("pk").values_list("pk", flat=True)) == events_before
    assert dict(Slot.objects.values_list("pk", "capacity")) == {
        work["visit"].slot_id: 2,
        work["slot"].pk: 2,
        work["free"].pk: 2,
    }
    assert not chain.area.schedules.exists()


def reuse_management() -> dict[str, str]:
    return {"reuse-TOTAL_FORMS": "0", "reuse-INITIAL_FORMS": "0"}


@pytest.mark.parametrize("page", ALL_PAGES)
def test_the_own_planner_opens_every_contractor_page(planner_client, chain, work, page):
    # given
    url = all_urls(chain, work)[page]

    # when
    response = open_page(planner_client, page, url)

    # then
    if page == "contractor_home":
        assert (response.status_code, response.url) == (302, reverse("work_queue", args=["new"]))
    elif page == "capacity_overview":
        # with a single area, the overview is that area's page
        assert (response.status_code, response.url) == (
            302,
            reverse("capacity_area", args=[chain.area.pk]),
        )
    elif page == "confirm_emergency":
        assert (response.status_code, response.url) == (
            302,
            reverse("contractor_request", args=[work["request"].reference]),
        )
    else:
        assert response.status_code == 200


def test_the_own_planner_sees_work_of_every_association_of_the_contractor(
    planner_client, chain, work
):
    # given a contract of the same contractor with another association, and work there
    elsewhere = factories.chain_create(postcode="5612CD")
    elsewhere.contract.contractor = chain.contractor
    elsewhere.contract.save(update_fields=["contractor"])
    elsewhere.contractor = chain.contractor
    there = factories.routed_request_create(elsewhere)

    # when
    response = planner_client.get(reverse("work_queue", args=["plan"]))
    page = planner_client.get(reverse("contractor_request", args=[there.reference]))

    # then
    assert [item.reference for item in response.context["page"]] == [there.reference]
    assert page.status_code == 200
    assert elsewhere.organisation.name in page.content.decode()


@pytest.mark.parametrize("page", PLANNER_PAGES)
def test_the_own_craftsman_has_no_planner_pages(craftsman_client, chain, work, page):
    # given
    url = all_urls(chain, work)[page]

    # when
    response = open_page(craftsman_client, page, url)

    # then
    assert response.status_code == 404


def test_the_own_craftsman_lands_on_their_day(craftsman_client):
    # when
    response = craftsman_client.get(reverse("contractor_home"))

    # then
    assert (response.status_code, response.url) == (302, reverse("craftsman_day"))


@pytest.fixture
def visits_around(chain, craftsman, work):
    """The craftsman's visit this afternoon (work), and the visits around it."""
    colleague = factories.craftsman_create(chain.contractor)
    today = Slot.objects.get(pk=work["visit"].slot_id)
    today_morning = chain.slot(days=0, capacity=3)
    tomorrow = chain.slot(days=1, capacity=3)
    yesterday = chain.slot(days=-1, capacity=3)
    colleagues = factories.scheduled_request_create(chain, today_morning, craftsman=colleague)
    unassigned_today = factories.scheduled_request_create(chain, today)
    unassigned_tomorrow = factories.scheduled_request_create(chain, tomorrow)
    own_tomorrow = factories.scheduled_request_create(chain, tomorrow, craftsman=craftsman)
    without_visit = factories.routed_request_create(chain)
    # Visited by the craftsman yesterday (material needed); the colleague goes back today.
    handed_on = factories.routed_request_create(chain, status=Status.FOLLOW_UP)
    earlier = factories.visit_create(
        handed_on,
        yesterday,
        craftsman=craftsman,
        status=AppointmentStatus.DONE,
        outcome="follow_up",
        outcome_reason="MAT",
    )
    later = factories.visit_create(handed_on, today_morning, craftsman=colleague)
    return {
        "colleagues": colleagues,
        "unassigned_today": unassigned_today,
        "unassigned_tomorrow": unassigned_tomorrow,
        "own_tomorrow": own_tomorrow,
        "without_visit": without_visit,
        "handed_on": handed_on,
        "earlier": earlier,
        "later": later,
    }


def planned_visit(repair_request) -> Appointment:
    return repair_request.appointments.get(status=AppointmentStatus.PLANNED)


def test_the_own_craftsman_opens_their_own_and_todays_unassigned_work(
    craftsman_client, work, visits_around
):
    # given
    visible = [work["request"], visits_around["unassigned_today"], visits_around["own_tomorrow"]]

    # when
    pages = [
        craftsman_client.get(reverse("contractor_request", args=[r.reference])) for r in visible
    ]
    records = [
        craftsman_client.get(reverse("visit_record", args=[planned_visit(r).pk]))
        for r in (work["request"], visits_around["unassigned_today"])
    ]
    handed_on = craftsman_client.get(
        reverse("contractor_request", args=[visits_around["handed_on"].reference])
    )
    photo = craftsman_client.get(
        reverse("contractor_photo", args=[work["request"].reference, work["photo"].pk])
    )

    # then
    assert [response.status_code for response in pages] == [200, 200, 200]
    assert [response.status_code for response in records] == [200, 200]
    assert handed_on.status_code == 200
    assert photo.status_code == 200
    # the page of a request visited before offers no recording of the colleague's visit
    assert reverse("visit_record", args=[visits_around["later"].pk]) not in (
        handed_on.content.decode()
    )
    assert reverse("visit_record", args=[work["visit"].pk]) in pages[0].content.decode()
    assert "Move or assign the visit" not in pages[0].content.decode()
    assert "Confirm the emergency" not in pages[0].content.decode()


def test_the_own_craftsman_reaches_no_one_elses_work(craftsman_client, visits_around):
    # given
    hidden = [
        visits_around["colleagues"],
        visits_around["unassigned_tomorrow"],
        visits_around["without_visit"],
    ]

    # when
    pages = [
        craftsman_client.get(reverse("contractor_request", args=[r.reference])) for r in hidden
    ]
    records = [
        craftsman_client.get(reverse("visit_record", args=[planned_visit(r).pk]))
        for r in hidden[:2]
    ]
    # the colleague's visit today to a request the craftsman visited before
    colleagues_visit = craftsman_client.get(
        reverse("visit_record", args=[visits_around["later"].pk])
    )

    # then
    assert [response.status_code for response in pages] == [404, 404, 404]
    assert [response.status_code for response in records] == [404, 404]
    assert colleagues_visit.status_code == 404


def test_the_own_craftsman_cannot_record_a_colleagues_visit(craftsman_client, visits_around):
    # given the colleague's visit today to a request the craftsman visited yesterday
    later = visits_around["later"]

    # when
    response = craftsman_client.post(
        reverse("visit_record", args=[later.pk]), {"outcome": "fixed", **reuse_management()}
    )

    # then
    assert response.status_code == 404
    later.refresh_from_db()
    assert (later.status, later.outcome) == (AppointmentStatus.PLANNED, "")
    assert RepairRequest.objects.get(pk=later.request_id).status == Status.SCHEDULED


@pytest.mark.parametrize(
    ("who", "lands_on"),
    [
        ("planner", ["/aannemer/", "/aannemer/werk/new/"]),
        ("craftsman", ["/aannemer/", "/aannemer/dag/"]),
        ("tenant", ["/mijn-reparaties/"]),
    ],
)
def test_each_logs_in_on_the_same_portal_and_lands_on_their_own_home(
    english_client, chain, planner, craftsman, who, lands_on
):
    # given
    email = {"planner": planner, "craftsman": craftsman, "tenant": chain.tenant}[who].email

    # when
    response = english_client().post(
        reverse("login"), {"username": email, "password": factories.PASSWORD}, follow=True
    )

    # then
    assert [url for url, _status in response.redirect_chain] == ["/", *lands_on]
    assert response.status_code == 200
