"""Planning: the planner plans, moves and assigns visits; the periodic task plans what waits;
emergencies are confirmed or staff are alerted; staff hand an unrouted request to a contract.

Every refusal also asserts that no visit, booking, event or mail was left behind.
"""

import datetime
import re
from html import unescape

import pytest
from django.urls import reverse
from django.utils import translation
from icalendar import Calendar

from contractors.models import Slot
from portal.errors import ApplicationError, TransitionNotAllowed
from repairs import services as planning
from repairs import tasks
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, RepairEvent, RepairRequest
from repairs.services import appointments

from . import factories
from .conftest import NOW


def slot_bookings(*slots) -> list[int]:
    return [Slot.objects.get(pk=slot.pk).booked for slot in slots]


def visits_of(repair_request) -> list[tuple]:
    return list(
        Appointment.objects.filter(request=repair_request)
        .order_by("pk")
        .values_list("slot_id", "status", "craftsman_id")
    )


def events_of(repair_request) -> list[tuple]:
    return list(
        RepairEvent.objects.filter(request=repair_request)
        .order_by("pk")
        .values_list("status", "kind", "actor_id")
    )


def invitation(message) -> Calendar:
    (attachment,) = message.attachments
    assert attachment.mimetype == "text/calendar; method=REQUEST; charset=utf-8"
    return Calendar.from_ical(attachment.content)


def invitation_event(message) -> dict:
    (event,) = invitation(message).walk("VEVENT")
    return {
        "uid": str(event["UID"]),
        "sequence": event["SEQUENCE"],
        "start": event.decoded("DTSTART"),
        "end": event.decoded("DTEND"),
    }


def plan_url(repair_request) -> str:
    return reverse("plan_visit", args=[repair_request.reference])


def form_errors(response) -> dict:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


# -- the planner plans, moves and assigns ---------------------------------------------------


def test_the_plan_page_offers_the_free_dayparts_of_the_area_in_time_order(
    now, planner_client, chain, other_chain
):
    # given dayparts of the area: running, coming, passed, closed, full and too far ahead,
    # and free ones of another area and another contractor
    repair_request = factories.routed_request_create(chain)
    running = chain.slot(days=0)
    later_today = chain.slot(days=0, daypart=chain.afternoon)
    chain.slot(days=-1)
    chain.slot(days=2, capacity=0)
    chain.slot(days=3, booked=1)
    last_day = chain.slot(days=14)
    chain.slot(days=15)
    elsewhere = factories.AreaFactory(organisation=chain.organisation)
    factories.SlotFactory(area=elsewhere, contractor=chain.contractor, daypart=chain.morning)
    other_chain.slot(days=1)

    # when
    response = planner_client.get(plan_url(repair_request))

    # then
    assert response.status_code == 200
    form = response.context["form"]
    assert list(form.fields["slot"].queryset) == [running, later_today, last_day]
    assert [label for _value, label in form.fields["slot"].choices] == [
        "Tuesday 10 March, morning (08:00–12:00)",
        "Tuesday 10 March, afternoon (12:00–17:00)",
        "Tuesday 24 March, morning (08:00–12:00)",
    ]
    assert [str(label) for _value, label in form.fields["craftsman"].choices] == [
        "Not assigned yet"
    ]


def test_planning_books_the_daypart_assigns_the_craftsman_and_mails_the_tenant_an_ics(
    now,
    planner_client,
    planner,
    craftsman,
    chain,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    # given a request reported by phone, waiting with a note of the automatic planning
    repair_request = factories.routed_request_create(
        chain, planning_note="No free daypart in the next 14 days."
    )
    slot = chain.slot(days=2, capacity=2)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = planner_client.post(
            plan_url(repair_request), {"slot": slot.pk, "craftsman": craftsman.pk}
        )

    # then
    assert (response.status_code, response.url) == (
        302,
        reverse("contractor_request", args=[repair_request.reference]),
    )
    (visit,) = Appointment.objects.filter(request=repair_request)
    assert (
        visit.slot_id,
        visit.status,
        visit.craftsman_id,
        visit.booked_by_id,
        visit.starts_at,
        visit.ends_at,
        visit.sequence,
    ) == (
        slot.pk,
        AppointmentStatus.PLANNED,
        craftsman.pk,
        planner.pk,
        slot.starts_at,
        slot.ends_at,
        0,
    )
    assert slot_bookings(slot) == [1]
    repair_request.refresh_from_db()
    assert (repair_request.status, repair_request.planning_note) == (Status.SCHEDULED, "")
    event = RepairEvent.objects.filter(request=repair_request).last()
    assert (event.status, event.actor_id, event.data) == (
        Status.SCHEDULED,
        planner.pk,
        {
            "contractor": chain.contractor.name,
            "starts_at": slot.starts_at.astimezone(datetime.UTC).isoformat(),
            "ends_at": slot.ends_at.astimezone(datetime.UTC).isoformat(),
            "daypart": "morning",
        },
    )
    (message,) = mailoutbox
    assert message.to == ["huurder@example.nl"]
    assert message.subject == f"Appointment for repair {repair_request.reference}"
    assert f"{chain.contractor.name} comes on Thursday 12 March, morning (08:00–12:00)." in (
        message.body
    )
    assert invitation_event(message) == {
        "uid": f"{repair_request.reference}@ketenportaal",
        "sequence": 0,
        "start": slot.starts_at,
        "end": slot.ends_at,
    }
    page = planner_client.get(response.url)
    assert "The visit is planned. The tenant gets an invitation." in page.content.decode()


def test_moving_a_visit_frees_its_daypart_and_mails_a_newer_ics(
    now, planner_client, chain, craftsman, django_capture_on_commit_callbacks, mailoutbox
):
    # given a planned visit of the craftsman
    first = chain.slot(days=2)
    repair_request = factories.scheduled_request_create(chain, first, craftsman=craftsman)
    later = chain.slot(days=5)

    # when the planner moves it and keeps the craftsman
    with django_capture_on_commit_callbacks(execute=True):
        response = planner_client.post(
            plan_url(repair_request), {"slot": later.pk, "craftsman": craftsman.pk}
        )

    # then
    assert response.status_code == 302
    assert visits_of(repair_request) == [
        (first.pk, AppointmentStatus.MOVED, craftsman.pk),
        (later.pk, AppointmentStatus.PLANNED, craftsman.pk),
    ]
    assert slot_bookings(first, later) == [0, 1]
    (message,) = mailoutbox
    assert invitation_event(message) == {
        "uid": f"{repair_request.reference}@ketenportaal",
        "sequence": 1,
        "start": later.starts_at,
        "end": later.ends_at,
    }
    assert RepairRequest.objects.get(pk=repair_request.pk).status == Status.SCHEDULED


def test_assigning_a_craftsman_keeps_the_visit_where_it_is(
    now, planner_client, chain, craftsman, django_capture_on_commit_callbacks, mailoutbox
):
    # given a visit the tenant booked when reporting, in a daypart that is now full
    slot = chain.slot(days=2)
    repair_request = factories.scheduled_request_create(chain, slot)
    events_before = events_of(repair_request)
    page = planner_client.get(plan_url(repair_request))
    assert page.context["form"]["slot"].value() == slot.pk
    assert [label for _value, label in page.context["form"].fields["slot"].choices] == [
        "Thursday 12 March, morning (08:00–12:00) – the current time"
    ]

    # when the planner assigns the craftsman to it
    with django_capture_on_commit_callbacks(execute=True):
        response = planner_client.post(
            plan_url(repair_request), {"slot": slot.pk, "craftsman": craftsman.pk}
        )

    # then the visit is the same, with the craftsman; the tenant hears nothing new
    assert response.status_code == 302
    assert visits_of(repair_request) == [(slot.pk, AppointmentStatus.PLANNED, craftsman.pk)]
    assert slot_bookings(slot) == [1]
    assert events_of(repair_request) == events_before
    assert mailoutbox == []
    page = planner_client.get(response.url)
    assert "The visit keeps its time; the craftsman is changed." in page.content.decode()


@pytest.mark.parametrize("taken", ["full", "closed", "passed", "other-area", "other-contractor"])
def test_a_daypart_not_free_for_the_request_is_refused_and_nothing_changes(
    now, planner_client, chain, other_chain, craftsman, mailoutbox, taken
):
    # given a waiting request and a daypart it cannot have
    repair_request = factories.routed_request_create(chain)
    elsewhere = factories.AreaFactory(organisation=chain.organisation)
    slot = {
        "full": lambda: chain.slot(days=2, booked=1),
        "closed": lambda: chain.slot(days=2, capacity=0),
        "passed": lambda: chain.slot(days=-1),
        "other-area": lambda: factories.SlotFactory(
            area=elsewhere, contractor=chain.contractor, daypart=chain.morning
        ),
        "other-contractor": lambda: other_chain.slot(days=2),
    }[taken]()
    booked = slot.booked
    events_before = events_of(repair_request)

    # when
    response = planner_client.post(
        plan_url(repair_request), {"slot": slot.pk, "craftsman": craftsman.pk}
    )

    # then
    assert response.status_code == 422
    assert form_errors(response) == {"slot": ["This daypart is no longer free. Choose another."]}
    assert 'id="slot-error"' in response.content.decode()
    assert visits_of(repair_request) == []
    assert slot_bookings(slot) == [booked]
    assert events_of(repair_request) == events_before
    assert RepairRequest.objects.get(pk=repair_request.pk).status == Status.ROUTED
    assert mailoutbox == []


def test_a_craftsman_of_another_contractor_cannot_be_assigned(
    now, planner_client, chain, other_chain
):
    # given
    repair_request = factories.routed_request_create(chain)
    slot = chain.slot(days=2)
    stranger = factories.craftsman_create(other_chain.contractor)

    # when through the page, and through the service
    response = planner_client.post(
        plan_url(repair_request), {"slot": slot.pk, "craftsman": stranger.pk}
    )
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        planning.appointment_plan(
            repair_request=repair_request, slot_id=slot.pk, actor=None, craftsman=stranger
        )

    # then
    assert response.status_code == 422
    assert form_errors(response) == {
        "craftsman": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert refused.value.message == "This craftsman does not work for this contractor."
    assert visits_of(repair_request) == []
    assert slot_bookings(slot) == [0]


def test_a_daypart_taken_meanwhile_is_refused_next_to_the_field(
    now, planner_client, chain, monkeypatch
):
    # given the last visit of a daypart is booked after the form was filled in
    repair_request = factories.routed_request_create(chain)
    slot = chain.slot(days=2)
    taken_by_someone = appointments.slot_take

    def taken_meanwhile(**kwargs):
        Slot.objects.filter(pk=slot.pk).update(booked=1)
        return taken_by_someone(**kwargs)

    monkeypatch.setattr(appointments, "slot_take", taken_meanwhile)

    # when
    response = planner_client.post(plan_url(repair_request), {"slot": slot.pk, "craftsman": ""})

    # then
    assert response.status_code == 422
    assert form_errors(response) == {
        "slot": ["This daypart is full. Choose another, or enlarge it first."]
    }
    assert visits_of(repair_request) == []


@pytest.mark.parametrize("status", [Status.COMPLETED, Status.CANCELLED, Status.REJECTED])
def test_a_closed_request_cannot_be_planned(now, planner_client, chain, status):
    # given
    repair_request = factories.routed_request_create(chain, status=status)
    slot = chain.slot(days=2)

    # when
    response = planner_client.post(plan_url(repair_request), {"slot": slot.pk}, follow=True)

    # then
    assert response.redirect_chain == [
        (reverse("contractor_request", args=[repair_request.reference]), 302)
    ]
    assert "This request cannot be planned in its current state." in response.content.decode()
    assert visits_of(repair_request) == []
    assert slot_bookings(slot) == [0]


# -- the periodic planning ------------------------------------------------------------------


def test_the_task_plans_into_the_earliest_free_daypart_of_the_area(
    now, chain, other_chain, django_capture_on_commit_callbacks, mailoutbox
):
    # given a request reported by phone, and dayparts: today (not for non-emergencies),
    # tomorrow morning full, tomorrow afternoon closed, another area's and another
    # contractor's earlier, and two free ones the day after
    repair_request = factories.routed_request_create(chain, channel="phone")
    chain.slot(days=0, daypart=chain.afternoon)
    chain.slot(days=1, booked=1)
    chain.slot(days=1, daypart=chain.afternoon, capacity=0)
    elsewhere = factories.AreaFactory(organisation=chain.organisation)
    factories.SlotFactory(
        area=elsewhere, contractor=chain.contractor, daypart=chain.morning, date=now.date()
    )
    other_chain.slot(days=1)
    earliest = chain.slot(days=2)
    chain.slot(days=2, daypart=chain.afternoon)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        result = tasks.repair_requests_autoplan.delay().get()

    # then
    assert result == {"planned": 1, "unplanned": 0}
    assert visits_of(repair_request) == [(earliest.pk, AppointmentStatus.PLANNED, None)]
    assert slot_bookings(earliest) == [1]
    event = RepairEvent.objects.filter(request=repair_request).last()
    assert (event.status, event.actor_id) == (Status.SCHEDULED, None)
    assert [message.to for message in mailoutbox] == [["huurder@example.nl"]]
    assert invitation_event(mailoutbox[0])["start"] == earliest.starts_at


def test_the_task_plans_emergencies_first_then_the_oldest(now, chain, time_machine):
    # given three waiting requests and two free dayparts tomorrow
    oldest = factories.routed_request_create(chain)
    time_machine.shift(datetime.timedelta(minutes=5))
    newer = factories.routed_request_create(chain)
    emergency = factories.routed_request_create(chain, is_urgent=True)
    morning = chain.slot(days=1)
    afternoon = chain.slot(days=1, daypart=chain.afternoon)

    # when
    result = planning.repair_requests_autoplan()

    # then
    assert result == {"planned": 2, "unplanned": 1}
    assert visits_of(emergency) == [(morning.pk, AppointmentStatus.PLANNED, None)]
    assert visits_of(oldest) == [(afternoon.pk, AppointmentStatus.PLANNED, None)]
    assert visits_of(newer) == []


def test_an_emergency_is_planned_within_24_hours_even_today(now, chain):
    # given an emergency, a daypart this afternoon and one the day after tomorrow
    emergency = factories.routed_request_create(chain, is_urgent=True)
    this_afternoon = chain.slot(days=0, daypart=chain.afternoon)
    chain.slot(days=2)

    # when
    result = planning.repair_requests_autoplan()

    # then
    assert result == {"planned": 1, "unplanned": 0}
    assert visits_of(emergency) == [(this_afternoon.pk, AppointmentStatus.PLANNED, None)]


def test_what_cannot_be_planned_is_listed_with_the_reason(now, chain, planner_client):
    # given an emergency with nothing free within 24 hours, and a request with every daypart
    # of the coming 14 days full
    emergency = factories.routed_request_create(chain, is_urgent=True)
    waiting = factories.routed_request_create(chain)
    full = [chain.slot(days=days, booked=1) for days in range(0, 15)]
    chain.slot(days=15)

    # when
    result = planning.repair_requests_autoplan()

    # then
    assert result == {"planned": 0, "unplanned": 2}
    assert slot_bookings(*full) == [1] * 15
    assert [visits_of(emergency), visits_of(waiting)] == [[], []]
    response = planner_client.get(reverse("work_queue", args=["plan"]))
    assert [item.reference for item in response.context["page"]] == [
        emergency.reference,
        waiting.reference,
    ]
    text = " ".join(unescape(re.sub(r"<[^>]+>", " ", response.content.decode())).split())
    assert f"{emergency.reference} · Tap leaks emergency" in text
    assert "Routed · No free daypart within 24 hours for this emergency." in text
    assert "Routed · No free daypart in the next 14 days." in text


def test_running_the_task_twice_plans_nothing_twice(
    now, chain, django_capture_on_commit_callbacks, mailoutbox
):
    # given two waiting requests, a free daypart for one of them
    planned = factories.routed_request_create(chain)
    waiting = factories.routed_request_create(chain)
    slot = chain.slot(days=1)

    # when the task runs, and runs again
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.repair_requests_autoplan.delay().get()
    visits_after_first = list(Appointment.objects.values_list("pk", flat=True))
    events_after_first = list(RepairEvent.objects.values_list("pk", flat=True))
    with django_capture_on_commit_callbacks(execute=True):
        second = tasks.repair_requests_autoplan.delay().get()

    # then
    assert (first, second) == (
        {"planned": 1, "unplanned": 1},
        {"planned": 0, "unplanned": 1},
    )
    assert visits_of(planned) == [(slot.pk, AppointmentStatus.PLANNED, None)]
    assert visits_of(waiting) == []
    assert slot_bookings(slot) == [1]
    assert list(Appointment.objects.values_list("pk", flat=True)) == visits_after_first
    assert list(RepairEvent.objects.values_list("pk", flat=True)) == events_after_first
    assert len(mailoutbox) == 1


def test_the_task_plans_the_follow_up_visit(now, chain, craftsman):
    # given a request whose first visit needs another (material ordered)
    repair_request = factories.routed_request_create(chain, status=Status.FOLLOW_UP)
    first = factories.visit_create(
        repair_request,
        chain.slot(days=-1),
        craftsman=craftsman,
        status=AppointmentStatus.DONE,
        outcome="follow_up",
        outcome_reason="MAT",
    )
    slot = chain.slot(days=1)

    # when
    planning.repair_requests_autoplan()

    # then
    assert visits_of(repair_request) == [
        (first.slot_id, AppointmentStatus.DONE, craftsman.pk),
        (slot.pk, AppointmentStatus.PLANNED, None),
    ]
    assert RepairRequest.objects.get(pk=repair_request.pk).status == Status.SCHEDULED


def test_the_task_leaves_planned_and_closed_requests_alone(now, chain):
    # given
    slot = chain.slot(days=1, capacity=5)
    scheduled = factories.scheduled_request_create(chain, chain.slot(days=3))
    closed = [
        factories.routed_request_create(chain, status=status)
        for status in (Status.COMPLETED, Status.CANCELLED, Status.REJECTED)
    ]

    # when
    result = planning.repair_requests_autoplan()

    # then
    assert result == {"planned": 0, "unplanned": 0}
    assert slot_bookings(slot) == [0]
    assert len(visits_of(scheduled)) == 1
    assert [visits_of(r) for r in closed] == [[], [], []]


# -- emergencies ----------------------------------------------------------------------------


@pytest.fixture
def emergency(now, chain):
    """An emergency reported at 10:00, not yet taken on by the contractor."""
    return factories.routed_request_create(chain, is_urgent=True)


@pytest.fixture
def staff(chain, other_chain):
    """Two staff of the association (one inactive), and staff of another association."""
    factories.StaffUserFactory(email="a.jansen@kempenland.nl", organisation=chain.organisation)
    factories.StaffUserFactory(email="b.smit@kempenland.nl", organisation=chain.organisation)
    factories.StaffUserFactory(
        email="oud@kempenland.nl", organisation=chain.organisation, is_active=False
    )
    factories.StaffUserFactory(email="staff@dommeldal.nl", organisation=other_chain.organisation)


def test_an_unconfirmed_emergency_alerts_staff_once_after_two_hours(
    emergency, staff, chain, time_machine, mailoutbox
):
    # given two hours and a minute later
    time_machine.move_to(NOW + datetime.timedelta(hours=2, minutes=1), tick=False)

    # when the task runs twice
    with translation.override("en"):
        sent = [tasks.emergency_alerts_send.delay().get() for _ in range(2)]

    # then the association's staff got one mail
    assert sent == [1, 0]
    (message,) = mailoutbox
    assert message.to == ["a.jansen@kempenland.nl", "b.smit@kempenland.nl"]
    assert message.subject == f"Emergency {emergency.reference} not confirmed after 2 hours"
    assert message.body == (
        f"The emergency {emergency.reference} at {chain.dwelling} (Kraan lekt) was reported at "
        f"10-03 10:00 and {chain.contractor.name} has not confirmed it yet. Call the contractor."
    )
    emergency.refresh_from_db()
    assert emergency.emergency_alert_sent_at == NOW + datetime.timedelta(hours=2, minutes=1)


def test_an_emergency_is_not_alerted_within_two_hours(emergency, staff, time_machine, mailoutbox):
    # given
    time_machine.move_to(NOW + datetime.timedelta(hours=1, minutes=59), tick=False)

    # when
    sent = tasks.emergency_alerts_send.delay().get()

    # then
    assert sent == 0
    assert mailoutbox == []
    assert RepairRequest.objects.get(pk=emergency.pk).emergency_alert_sent_at is None


def test_a_confirmed_emergency_alerts_no_one(
    emergency, staff, planner_client, planner, time_machine, mailoutbox
):
    # given the planner confirms the emergency after an hour
    time_machine.move_to(NOW + datetime.timedelta(hours=1), tick=False)
    url = reverse("confirm_emergency", args=[emergency.reference])
    response = planner_client.post(url, follow=True)
    assert "The emergency is confirmed: staff are not alerted." in response.content.decode()
    planner_client.post(url)

    # when the task runs three hours later
    time_machine.move_to(NOW + datetime.timedelta(hours=3), tick=False)
    sent = tasks.emergency_alerts_send.delay().get()

    # then no mail; the confirmation is noted once on the timeline
    assert sent == 0
    assert mailoutbox == []
    emergency.refresh_from_db()
    assert emergency.contractor_confirmed_at == NOW + datetime.timedelta(hours=1)
    notes = RepairEvent.objects.filter(request=emergency, kind="note")
    assert [(n.note, n.actor_id) for n in notes] == [
        ("Emergency confirmed by the contractor.", planner.pk)
    ]


def test_an_emergency_the_planner_plans_counts_as_confirmed(
    emergency, staff, chain, planner_client, time_machine, mailoutbox
):
    # given the planner plans the emergency this afternoon
    slot = chain.slot(days=0, daypart=chain.afternoon)
    planner_client.post(plan_url(emergency), {"slot": slot.pk, "craftsman": ""})

    # when the task runs three hours later
    time_machine.move_to(NOW + datetime.timedelta(hours=3), tick=False)
    sent = tasks.emergency_alerts_send.delay().get()

    # then
    assert sent == 0
    assert mailoutbox == []


def test_an_emergency_the_task_planned_is_still_not_confirmed(
    emergency, staff, chain, time_machine, mailoutbox
):
    # given the periodic planning put the emergency in this afternoon's daypart
    slot = chain.slot(days=0, daypart=chain.afternoon)
    planning.repair_requests_autoplan()
    assert visits_of(emergency) == [(slot.pk, AppointmentStatus.PLANNED, None)]

    # when nobody of the contractor took it on in two hours
    time_machine.move_to(NOW + datetime.timedelta(hours=2, minutes=1), tick=False)
    sent = tasks.emergency_alerts_send.delay().get()

    # then staff hear of it: a machine's planning is no contractor's confirmation
    assert sent == 1
    assert [message.to for message in mailoutbox] == [
        ["a.jansen@kempenland.nl", "b.smit@kempenland.nl"]
    ]


def test_a_completed_or_cancelled_emergency_alerts_no_one(
    now, chain, staff, time_machine, mailoutbox
):
    # given
    for status in (Status.COMPLETED, Status.CANCELLED, Status.REJECTED):
        factories.routed_request_create(chain, is_urgent=True, status=status)
    factories.routed_request_create(chain)

    # when
    time_machine.move_to(NOW + datetime.timedelta(hours=5), tick=False)
    sent = tasks.emergency_alerts_send.delay().get()

    # then
    assert sent == 0
    assert mailoutbox == []


# -- staff hand an unrouted request to a contract -------------------------------------------


def hidden_inputs(html: str) -> dict[str, str]:
    """The admin form's hidden fields (CSRF token, inline management forms)."""
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if 'type="hidden"' in tag:
            name = re.search(r'name="([^"]+)"', tag)
            value = re.search(r'value="([^"]*)"', tag)
            if name:
                fields[name.group(1)] = unescape(value.group(1)) if value else ""
    return fields


@pytest.fixture
def unrouted(now, chain):
    """A report from a new street the postcode rules do not cover yet."""
    dwelling = factories.DwellingFactory(organisation=chain.organisation, postcode="7511AA")
    repair_request = factories.RepairRequestFactory(
        dwelling=dwelling, category=chain.category, status=Status.UNROUTED
    )
    factories.RepairEventFactory(request=repair_request, status=Status.SUBMITTED)
    factories.RepairEventFactory(
        request=repair_request, status=Status.UNROUTED, data={"postcode": "7511AA"}
    )
    return repair_request


def admin_url(repair_request) -> str:
    return reverse("admin:repairs_repairrequest_change", args=[repair_request.pk])


def test_staff_hand_an_unrouted_request_to_a_contract_and_it_is_on_the_timeline(
    db, english_client, staff_user, chain, unrouted, planner_client
):
    # given
    client = english_client(staff_user)
    page = client.get(admin_url(unrouted))
    assert page.status_code == 200
    choices = page.context["adminform"].form.fields["contract"].queryset
    assert list(choices) == [chain.contract]

    # when
    response = client.post(
        admin_url(unrouted), {**hidden_inputs(page.content.decode()), "contract": chain.contract.pk}
    )

    # then
    assert response.status_code == 302
    unrouted.refresh_from_db()
    assert (unrouted.status, unrouted.contract_id, unrouted.contractor_id) == (
        Status.ROUTED,
        chain.contract.pk,
        chain.contractor.pk,
    )
    event = RepairEvent.objects.filter(request=unrouted).last()
    assert (event.status, event.actor_id, event.note, event.data) == (
        Status.ROUTED,
        staff_user.pk,
        "Assigned by hand by staff.",
        {"contractor": chain.contractor.name, "area": chain.area.name, "by_hand": True},
    )
    assert unrouted.routed_at is not None
    # and the contractor's planner finds it among the new work
    new = planner_client.get(reverse("work_queue", args=["new"]))
    assert [item.reference for item in new.context["page"]] == [unrouted.reference]


def test_staff_cannot_hand_a_request_to_another_associations_contract(
    db, english_client, staff_user, chain, other_chain, unrouted
):
    # given
    client = english_client(staff_user)
    page = client.get(admin_url(unrouted))

    # when
    response = client.post(
        admin_url(unrouted),
        {**hidden_inputs(page.content.decode()), "contract": other_chain.contract.pk},
    )

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "contract": ["Select a valid choice. That choice is not one of the available choices."]
    }
    unrouted.refresh_from_db()
    assert (unrouted.status, unrouted.contract_id) == (Status.UNROUTED, None)
    assert [e.status for e in RepairEvent.objects.filter(request=unrouted)] == [
        Status.SUBMITTED,
        Status.UNROUTED,
    ]


def test_the_service_refuses_a_contract_of_another_association_and_a_routed_request(
    now, chain, other_chain, unrouted, staff_user
):
    # given
    routed = factories.routed_request_create(chain)

    # when
    with translation.override("en"):
        with pytest.raises(ApplicationError) as other_association:
            planning.repair_request_assign_contract(
                repair_request=unrouted, contract_id=other_chain.contract.pk, actor=staff_user
            )
        with pytest.raises(TransitionNotAllowed) as not_unrouted:
            planning.repair_request_assign_contract(
                repair_request=routed, contract_id=chain.contract.pk, actor=staff_user
            )

    # then
    assert other_association.value.message == "Choose a contract of this association."
    assert not_unrouted.value.message == "Only an unrouted request can be assigned by hand."
    assert RepairRequest.objects.get(pk=unrouted.pk).status == Status.UNROUTED
    assert RepairRequest.objects.get(pk=routed.pk).contract_id == chain.contract.pk


def test_staff_of_another_association_get_404_on_the_request(
    db, english_client, other_staff_user, chain, unrouted
):
    # given
    client = english_client(other_staff_user)

    # when
    page = client.get(admin_url(unrouted))
    posted = client.post(admin_url(unrouted), {"contract": chain.contract.pk})

    # then
    assert (page.status_code, posted.status_code) == (404, 404)
    unrouted.refresh_from_db()
    assert (unrouted.status, unrouted.contract_id) == (Status.UNROUTED, None)


def test_staff_read_the_work_of_a_routed_request_without_changing_it(
    db, english_client, staff_user, chain, craftsman, other_chain, media_root
):
    # given a request with a recorded visit, a planned one and a photo
    repair_request = factories.routed_request_create(chain, status=Status.FOLLOW_UP)
    factories.visit_create(
        repair_request,
        chain.slot(days=-1),
        craftsman=craftsman,
        status=AppointmentStatus.DONE,
        outcome="follow_up",
        outcome_reason="MAT",
        outcome_notes="Needs a new cartridge.",
    )
    factories.visit_create(repair_request, chain.slot(days=2), craftsman=craftsman)
    photo = factories.PhotoFactory(request=repair_request)
    client = english_client(staff_user)

    # when
    page = client.get(admin_url(repair_request))
    posted = client.post(
        admin_url(repair_request),
        {**hidden_inputs(page.content.decode()), "contract": other_chain.contract.pk},
    )

    # then the timeline, the visits and the photo are shown, and nothing can be changed
    assert page.status_code == 200
    html = page.content.decode()
    assert "Needs a new cartridge." in html
    assert "Kees Klusser" in html
    assert reverse("admin:repairs_repairrequest_photo", args=[repair_request.pk, photo.pk]) in html
    assert "contract" not in page.context["adminform"].form.fields
    assert posted.status_code == 302
    repair_request.refresh_from_db()
    assert (repair_request.status, repair_request.contract_id) == (
        Status.SCHEDULED,
        chain.contract.pk,
    )


def test_a_contract_that_has_ended_is_not_offered_nor_accepted(
    db, english_client, staff_user, chain, unrouted
):
    # given a contract of the association that ended last year
    ended = factories.ContractFactory(
        area=factories.AreaFactory(organisation=chain.organisation),
        valid_from=datetime.date(2020, 1, 1),
        valid_until=datetime.date(2025, 12, 31),
    )
    client = english_client(staff_user)
    page = client.get(admin_url(unrouted))

    # when it is posted anyway, and asked of the service
    response = client.post(
        admin_url(unrouted), {**hidden_inputs(page.content.decode()), "contract": ended.pk}
    )
    with translation.override("en"), pytest.raises(ApplicationError) as refused:
        planning.repair_request_assign_contract(
            repair_request=unrouted, contract_id=ended.pk, actor=staff_user
        )

    # then
    assert list(page.context["adminform"].form.fields["contract"].queryset) == [chain.contract]
    assert response.context["adminform"].form.errors == {
        "contract": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert refused.value.message == "This contract does not run today. Choose one that does."
    unrouted.refresh_from_db()
    assert (unrouted.status, unrouted.contract_id) == (Status.UNROUTED, None)


def test_staff_route_an_unrouted_request_again_after_fixing_the_rules(
    db, english_client, staff_user, chain, unrouted
):
    # given the postcode of the new street is added to the chain's area
    factories.PostcodeRuleFactory(area=chain.area, range_start=7511, range_end=7511)
    client = english_client(staff_user)

    # when staff route it again from the list
    response = client.post(
        reverse("admin:repairs_repairrequest_changelist"),
        {"action": "route_again", "_selected_action": [unrouted.pk]},
        follow=True,
    )

    # then
    assert "1 request routed." in response.content.decode()
    unrouted.refresh_from_db()
    assert (unrouted.status, unrouted.contract_id) == (Status.ROUTED, chain.contract.pk)
    event = RepairEvent.objects.filter(request=unrouted).last()
    assert (event.status, event.actor_id, event.data) == (
        Status.ROUTED,
        staff_user.pk,
        {"contractor": chain.contractor.name, "area": chain.area.name},
    )
