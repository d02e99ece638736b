"""The choice of times tells the tenant which dayparts could no longer be moved or cancelled
once booked: those starting within 24 hours (docs/decisions.md, "Booking window"). The mark
follows the same rule as the refusal of a change, to the second and across a DST switch."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse
from django.utils import translation

from repairs import services

from .clock import changeable_date

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
MARKED = "Cannot be moved or cancelled"
NOTE = (
    "You can move or cancel a visit here until 24 hours before it starts. "
    "The marked times start sooner: once booked, they cannot be moved or cancelled here."
)
RADIO = re.compile(
    r'<label class="slot-option[^"]*" for="[^"]+">\s*<input [^>]*value="(\d+)"[^>]*>(.*?)</label>',
    re.DOTALL,
)


def at(time_machine, *args) -> datetime.datetime:
    """Stop the clock at this Amsterdam wall-clock time."""
    instant = datetime.datetime(*args, tzinfo=AMSTERDAM)
    time_machine.move_to(instant, tick=False)
    return instant


def marks(html: str) -> dict[int, bool]:
    """Per offered slot id: whether its box says it cannot be moved or cancelled."""
    return {int(pk): MARKED in label for pk, label in RADIO.findall(html)}


def report_form(client, chain) -> str:
    response = client.get(reverse("report_category", args=[chain.category.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_the_report_form_marks_the_dayparts_within_24_hours(time_machine, tenant_client, chain):
    # given Tuesday 10 March 2026, 10:00, and the contractor's free dayparts of the days after
    at(time_machine, 2026, 3, 10, 10, 0)
    wednesday_morning = chain.slot(date=datetime.date(2026, 3, 11))
    wednesday_afternoon = chain.slot(date=datetime.date(2026, 3, 11), daypart=chain.afternoon)
    thursday_morning = chain.slot(date=datetime.date(2026, 3, 12))

    # when the tenant opens the report form
    html = report_form(tenant_client, chain)

    # then only Wednesday morning (in 22 hours) is marked, and the note says why
    assert marks(html) == {
        wednesday_morning.pk: True,
        wednesday_afternoon.pk: False,
        thursday_morning.pk: False,
    }
    assert NOTE in html
    assert 'aria-describedby="slot-hint slot-fixed"' in html


def test_no_mark_and_no_note_when_every_daypart_is_more_than_24_hours_ahead(
    time_machine, tenant_client, chain
):
    # given Tuesday 07:30, when Wednesday 08:00 is 24 hours and a half away
    at(time_machine, 2026, 3, 10, 7, 30)
    wednesday_morning = chain.slot(date=datetime.date(2026, 3, 11))
    wednesday_afternoon = chain.slot(date=datetime.date(2026, 3, 11), daypart=chain.afternoon)

    # when the tenant opens the report form
    html = report_form(tenant_client, chain)

    # then nothing is marked and there is no note
    assert marks(html) == {wednesday_morning.pk: False, wednesday_afternoon.pk: False}
    assert MARKED not in html
    assert NOTE not in html
    assert "slot-fixed" not in html


@pytest.mark.parametrize(
    ("now", "marked"),
    [
        # exactly 24 hours before Wednesday 12:00 a change is still allowed; a second later not
        ((2026, 3, 10, 12, 0, 0), False),
        ((2026, 3, 10, 12, 0, 1), True),
        # Sunday 28 March 2027 has 23 hours: Saturday 12:00 is 23 hours before Sunday 12:00
        ((2027, 3, 27, 11, 0, 0), False),
        ((2027, 3, 27, 12, 0, 0), True),
    ],
    ids=["24h-before", "24h-minus-1s-before", "dst-24h-before", "dst-23h-before"],
)
def test_the_mark_follows_the_change_rule_to_the_second(
    time_machine, english_client, chain, now, marked
):
    # given the clock, and the next day's afternoon free
    at(time_machine, *now)
    afternoon = chain.slot(days=1, daypart=chain.afternoon)

    # when the tenant, logged in at that time, opens the report form
    html = report_form(english_client(chain.tenant), chain)

    # then the afternoon is marked exactly when a visit booked in it could not be moved
    assert marks(html) == {afternoon.pk: marked}
    repair_request = services.repair_request_report(
        tenancy=chain.tenancy,
        category=chain.category,
        description="The kitchen tap drips day and night.",
        actor=chain.tenant,
        slot_id=afternoon.pk,
    )
    other = chain.slot(days=3)
    if marked:
        with translation.override("en"), pytest.raises(services.ChangeTooLate):
            services.appointment_reschedule(repair_request=repair_request, slot_id=other.pk)
    else:
        appointment = services.appointment_reschedule(
            repair_request=repair_request, slot_id=other.pk
        )
        assert appointment.slot == other


def test_the_move_page_marks_the_dayparts_within_24_hours(time_machine, tenant_client, chain):
    # given Tuesday 10:00, a visit on Friday morning, and free dayparts before it
    at(time_machine, 2026, 3, 10, 10, 0)
    friday = chain.slot(date=datetime.date(2026, 3, 13))
    repair_request = services.repair_request_report(
        tenancy=chain.tenancy,
        category=chain.category,
        description="The kitchen tap drips day and night.",
        actor=chain.tenant,
        slot_id=friday.pk,
    )
    wednesday_morning = chain.slot(date=datetime.date(2026, 3, 11))
    wednesday_afternoon = chain.slot(date=datetime.date(2026, 3, 11), daypart=chain.afternoon)

    # when the tenant opens the page to move the visit
    response = tenant_client.get(reverse("repair_reschedule", args=[repair_request.reference]))

    # then Wednesday morning is marked, Wednesday afternoon not, and the note says why
    html = response.content.decode()
    assert response.status_code == 200
    assert marks(html) == {wednesday_morning.pk: True, wednesday_afternoon.pk: False}
    assert NOTE in html
    assert 'aria-describedby="slot-fixed"' in html

    # and when the tenant sends the form without a choice, the note stays tied to the choice
    response = tenant_client.post(
        reverse("repair_reschedule", args=[repair_request.reference]), {"slot": ""}
    )
    assert response.status_code == 422
    assert 'aria-describedby="slot-fixed slot-error"' in response.content.decode()


def test_the_mark_and_note_read_in_dutch(time_machine, client, chain):
    # given a tenant who reads Dutch, on Tuesday 10:00, with Wednesday morning free
    at(time_machine, 2026, 3, 10, 10, 0)
    chain.slot(date=datetime.date(2026, 3, 11))
    client.force_login(chain.tenant)

    # when the tenant opens the report form in Dutch
    response = client.get(
        reverse("report_category", args=[chain.category.pk]), HTTP_ACCEPT_LANGUAGE="nl"
    )

    # then the mark and the note speak Dutch, addressing the tenant as "u"
    html = response.content.decode()
    assert "Niet te verzetten of te annuleren" in html
    assert "U kunt een bezoek hier verzetten of annuleren tot 24 uur voordat het begint." in html
    assert MARKED not in html


@pytest.mark.clock
def test_a_factory_daypart_from_the_clock_helper_can_be_moved(tenant_client, chain):
    # given a visit booked, at whatever hour this runs, in the first daypart the helper
    # says is more than 24 hours ahead
    slot = chain.slot(date=changeable_date(chain.morning.start_time))
    repair_request = services.repair_request_report(
        tenancy=chain.tenancy,
        category=chain.category,
        description="The kitchen tap drips day and night.",
        actor=chain.tenant,
        slot_id=slot.pk,
    )

    # when the tenant opens the repair
    response = tenant_client.get(reverse("repair_detail", args=[repair_request.reference]))

    # then it can still be moved and cancelled
    assert "Move the appointment" in response.content.decode()
    assert "Cancel the repair" in response.content.decode()
