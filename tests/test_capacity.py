"""Capacity: the planner's weekly schedule per area and daypart, and single days closed or
shrunk (holiday, sick leave). Shrinking below what is booked is refused with the visits to
move first, and changes nothing; a closed day is no longer offered to tenants."""

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse

from contractors.models import Slot, WeeklySchedule
from repairs import services as planning
from repairs.models import RepairRequest

from . import factories

MONDAY, WEDNESDAY = 0, 2


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def slots_of(chain) -> dict[datetime.date, tuple]:
    """Every slot of the chain's area: date and daypart -> (capacity, booked, note)."""
    return {
        (slot.date, slot.daypart.kind): (slot.capacity, slot.booked, slot.note)
        for slot in Slot.objects.filter(area=chain.area).select_related("daypart")
    }


def schedule_of(chain) -> dict[tuple[int, str], int]:
    return {
        (s.weekday, s.daypart.kind): s.capacity
        for s in WeeklySchedule.objects.filter(area=chain.area).select_related("daypart")
    }


def schedule_form(chain, values: dict[tuple[int, str], str]) -> dict[str, str]:
    """The whole weekly grid as the page posts it: every weekday and daypart, 0 if not given."""
    dayparts = {"morning": chain.morning, "afternoon": chain.afternoon}
    return {
        f"cap_{weekday}_{daypart.pk}": values.get((weekday, kind), "0")
        for weekday in range(7)
        for kind, daypart in dayparts.items()
    }


def day(month: int, number: int) -> datetime.date:
    return datetime.date(2026, month, number)


@pytest.fixture
def week(now, chain, craftsman):
    """Mondays in the morning take 2 visits. The coming Mondays: one free, one full, and one
    the planner closed by hand (without saying why); and today's daypart."""
    factories.WeeklyScheduleFactory(
        area=chain.area, contractor=chain.contractor, daypart=chain.morning, weekday=MONDAY
    )
    free = chain.slot(date=day(3, 16), capacity=2)
    full = chain.slot(date=day(3, 23), capacity=2)
    for _ in range(2):
        factories.scheduled_request_create(chain, full, craftsman=craftsman)
    closed = chain.slot(date=day(3, 30), capacity=0)
    today = chain.slot(days=0, capacity=2)
    return {"free": free, "full": full, "closed": closed, "today": today}


def area_url(chain) -> str:
    return reverse("capacity_area", args=[chain.area.pk])


def test_the_area_page_shows_the_schedule_and_how_full_each_daypart_is(planner_client, chain, week):
    # when
    response = planner_client.get(area_url(chain))

    # then
    assert response.status_code == 200
    grid = {
        cell["name"]: cell["value"] for row in response.context["rows"] for cell in row["cells"]
    }
    assert grid == {
        name: int(value) for name, value in schedule_form(chain, {(MONDAY, "morning"): "2"}).items()
    }
    text = text_of(response)
    assert "Tue 10 Mar morning 0 / 2 Change Tue 10 Mar morning" in text
    assert "Mon 16 Mar morning 0 / 2 Change" in text
    assert "Mon 23 Mar morning 2 / 2 Change" in text
    assert "Mon 30 Mar morning" not in text  # beyond the 14 days shown
    assert 'aria-label="Main"' in response.content.decode()


def test_saving_the_weekly_schedule_resizes_coming_dayparts_and_adds_new_ones(
    planner_client, chain, week
):
    # when Monday morning goes to 1 visit and Wednesday afternoon opens with 3
    response = planner_client.post(
        area_url(chain),
        schedule_form(chain, {(MONDAY, "morning"): "1", (WEDNESDAY, "afternoon"): "3"}),
        follow=True,
    )

    # then
    assert response.redirect_chain == [(area_url(chain), 302)]
    assert schedule_of(chain) == {(MONDAY, "morning"): 1, (WEDNESDAY, "afternoon"): 3}
    assert slots_of(chain) == {
        (day(3, 10), "morning"): (2, 0, ""),  # today stays as it is
        (day(3, 16), "morning"): (1, 0, ""),
        (day(3, 23), "morning"): (2, 2, ""),  # two booked: keeps its size
        (day(3, 30), "morning"): (0, 0, ""),  # closed by hand: stays closed
        (day(4, 6), "morning"): (1, 0, ""),
        (day(3, 11), "afternoon"): (3, 0, ""),
        (day(3, 18), "afternoon"): (3, 0, ""),
        (day(3, 25), "afternoon"): (3, 0, ""),
        (day(4, 1), "afternoon"): (3, 0, ""),
    }
    text = text_of(response)
    assert "The weekly schedule is saved." in text
    assert (
        "1 coming daypart has more bookings than the new number and keeps its size; "
        "move visits first to shrink it."
    ) in text


def test_a_day_closed_by_hand_stays_closed_when_the_weekly_schedule_is_saved(
    planner_client, chain, week
):
    # given the planner closes the free Monday without a reason
    planner_client.post(reverse("slot_edit", args=[week["free"].pk]), {"capacity": "0"})

    # when the weekly grid is saved as it was, with Monday morning raised to 3
    planner_client.post(area_url(chain), schedule_form(chain, {(MONDAY, "morning"): "3"}))

    # then the closed days stay closed; the others follow
    slots = slots_of(chain)
    assert [slots[(day(3, d), "morning")] for d in (16, 23, 30)] == [
        (0, 0, ""),
        (3, 2, ""),
        (0, 0, ""),
    ]


@pytest.mark.parametrize("value", ["-1", "two", "100", "1.5"])
def test_a_weekly_number_that_is_not_0_to_99_is_refused_and_nothing_changes(
    planner_client, chain, week, value
):
    # given
    slots_before = slots_of(chain)

    # when
    response = planner_client.post(
        area_url(chain),
        schedule_form(chain, {(MONDAY, "morning"): "1", (WEDNESDAY, "afternoon"): value}),
    )

    # then
    assert response.status_code == 422
    assert response.context["errors"] == {
        f"cap_{WEDNESDAY}_{chain.afternoon.pk}": "Enter a whole number from 0 to 99."
    }
    assert "Please correct the fields marked below." in text_of(response)
    assert schedule_of(chain) == {(MONDAY, "morning"): 2}
    assert slots_of(chain) == slots_before


# -- single days ----------------------------------------------------------------------------


def slot_url(slot) -> str:
    return reverse("slot_edit", args=[slot.pk])


def test_closing_a_day_for_a_holiday(planner_client, chain, week):
    # when
    response = planner_client.post(
        slot_url(week["free"]), {"capacity": "0", "note": "Easter"}, follow=True
    )

    # then
    assert response.redirect_chain == [(area_url(chain), 302)]
    assert slots_of(chain)[(day(3, 16), "morning")] == (0, 0, "Easter")
    text = text_of(response)
    assert "The daypart is changed." in text
    assert "Mon 16 Mar morning (Easter) closed Change" in text


@pytest.mark.parametrize("capacity", [2, 5])
def test_a_full_day_may_keep_its_bookings_or_grow(planner_client, chain, week, capacity):
    # when
    response = planner_client.post(slot_url(week["full"]), {"capacity": str(capacity)})

    # then
    assert response.status_code == 302
    assert slots_of(chain)[(day(3, 23), "morning")] == (capacity, 2, "")


def test_shrinking_below_the_bookings_is_refused_with_the_visits_to_move_first(
    planner_client, chain, week
):
    # given
    slots_before = slots_of(chain)
    booked = list(
        RepairRequest.objects.filter(appointments__slot=week["full"])
        .order_by("appointments__pk")
        .select_related("dwelling")
    )

    # when
    response = planner_client.post(slot_url(week["full"]), {"capacity": "1", "note": "Sick"})

    # then
    assert response.status_code == 422
    assert dict(response.context["form"].errors) == {
        "capacity": ["2 visits are booked in this daypart: move these first."]
    }
    assert [visit.request_id for visit in response.context["blocking"]] == [r.pk for r in booked]
    html = response.content.decode()
    for repair_request in booked:
        url = reverse("plan_visit", args=[repair_request.reference])
        assert (
            f'<li><a href="{url}">{repair_request.reference}</a> · '
            f"{repair_request.dwelling.address_line}</li>"
        ) in html
    assert "Visits to move first" in text_of(response)
    assert slots_of(chain) == slots_before


def test_the_service_refuses_below_the_bookings_and_changes_nothing(chain, week):
    # when
    from contractors import capacity

    with pytest.raises(capacity.CapacityBelowBooked):
        capacity.slot_capacity_set(
            slot_id=week["full"].pk, contractor_id=chain.contractor.pk, capacity=0, note="Sick"
        )

    # then
    assert slots_of(chain)[(day(3, 23), "morning")] == (2, 2, "")


def test_a_negative_number_of_visits_is_refused(planner_client, chain, week):
    # when
    response = planner_client.post(slot_url(week["free"]), {"capacity": "-1"})

    # then
    assert response.status_code == 422
    assert dict(response.context["form"].errors) == {"capacity": ["Enter 0 or more visits."]}
    assert slots_of(chain)[(day(3, 16), "morning")] == (2, 0, "")


def test_a_closed_day_is_no_longer_offered_to_tenants(
    planner_client, tenant_client, chain, week, media_root
):
    # given the tenant's report form offers the free Monday
    form_url = reverse("report_category", args=[chain.category.pk])
    before = tenant_client.get(form_url).context["form"].fields["slot"].queryset
    assert list(before) == [week["free"]]

    # when the planner closes it
    planner_client.post(slot_url(week["free"]), {"capacity": "0", "note": "Easter"})

    # then the form has no time to offer, a posted one is refused, and nothing is reported
    requests_before = list(RepairRequest.objects.values_list("pk", flat=True))
    page = tenant_client.get(form_url)
    assert "slot" not in page.context["form"].fields
    response = tenant_client.post(
        form_url,
        {
            "description": "The kitchen tap drips day and night.",
            "contact_phone": "06 12345678",
            "slot": week["free"].pk,
        },
    )
    assert response.status_code == 422
    assert dict(response.context["form"].errors) == {
        "slot": ["This time is no longer available. Choose another time."]
    }
    assert list(RepairRequest.objects.values_list("pk", flat=True)) == requests_before
    assert slots_of(chain)[(day(3, 16), "morning")] == (0, 0, "Easter")


def test_a_closed_day_is_not_used_by_the_periodic_planning(now, chain, week):
    # given a waiting request, and the free Monday closed
    waiting = factories.routed_request_create(chain)
    Slot.objects.filter(pk=week["free"].pk).update(capacity=0)

    # when
    result = planning.repair_requests_autoplan()

    # then
    assert result == {"planned": 0, "unplanned": 1}
    assert not waiting.appointments.exists()
