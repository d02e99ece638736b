"""The tenant's mails: the confirmation and the reminder go out once however often their task
runs, and carry a calendar invitation in Amsterdam time."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from icalendar import Calendar

from repairs import services, tasks
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus

from . import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DESCRIPTION = "The kitchen tap drips day and night since Monday."


def report_with_visit(chain, slot, *, tenancy=None):
    tenancy = tenancy or chain.tenancy
    return services.repair_request_report(
        tenancy=tenancy,
        category=chain.category,
        description=DESCRIPTION,
        actor=tenancy.tenant,
        slot_id=slot.pk,
    )


def invitation(message) -> Calendar:
    """The one .ics attachment of a mail, parsed."""
    attachments = [a for a in message.attachments if a.mimetype.startswith("text/calendar")]
    assert len(attachments) == 1
    return Calendar.from_ical(attachments[0].content)


def visit_times(calendar: Calendar) -> dict:
    (event,) = calendar.walk("VEVENT")
    return {
        "tzid": (event["DTSTART"].params["TZID"], event["DTEND"].params["TZID"]),
        "start": event.decoded("DTSTART"),
        "end": event.decoded("DTEND"),
        "timezones": [str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")],
    }


# -- confirmation --------------------------------------------------------------------------


def test_the_confirmation_is_sent_once_however_often_its_task_runs(
    now, chain, django_capture_on_commit_callbacks, mailoutbox
):
    # given a booked visit, whose confirmation went out on commit
    slot = chain.slot(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        repair_request = report_with_visit(chain, slot)
    appointment = Appointment.objects.get()
    tenant_mails = [m for m in mailoutbox if m.to == [chain.tenant.email]]
    assert len(tenant_mails) == 1

    # when the task runs twice more (a retry, a second delivery)
    again = [tasks.appointment_confirmation.delay(appointment.pk).get() for _ in range(2)]

    # then nothing more is sent
    assert again == [False, False]
    tenant_mails = [m for m in mailoutbox if m.to == [chain.tenant.email]]
    assert [(m.subject, m.from_email) for m in tenant_mails] == [
        (f"Appointment for repair {repair_request.reference}", settings.DEFAULT_FROM_EMAIL)
    ]
    assert "comes on Thursday 12 March, morning (08:00–12:00)." in tenant_mails[0].body
    assert [a.filename for a in tenant_mails[0].attachments] == [
        f"afspraak-{repair_request.reference}.ics"
    ]


def test_the_confirmation_comes_from_the_association(now, chain, mailoutbox):
    # given an association with its own sender
    chain.organisation.mail_from = "reparaties@kempenland.nl"
    chain.organisation.save(update_fields=["mail_from"])
    repair_request = report_with_visit(chain, chain.slot(days=2))
    appointment = Appointment.objects.get()

    # when
    sent = tasks.appointment_confirmation(appointment.pk)

    # then
    assert sent is True
    assert [(m.to, m.from_email, m.subject) for m in mailoutbox] == [
        (
            [chain.tenant.email],
            "reparaties@kempenland.nl",
            f"Appointment for repair {repair_request.reference}",
        )
    ]
    (event,) = invitation(mailoutbox[0]).walk("VEVENT")
    assert str(event["ORGANIZER"]) == "mailto:reparaties@kempenland.nl"
    assert str(event["UID"]) == f"{repair_request.reference}@ketenportaal"
    assert event["SEQUENCE"] == 0


# -- reminder ------------------------------------------------------------------------------


@pytest.fixture
def visits(chain):
    """Visits of six tenants on 11, 12 and 13 March; only two are planned for the 12th."""
    slots = {day: chain.slot(date=datetime.date(2026, 3, day), capacity=10) for day in (11, 12, 13)}
    made = {}
    for name, day, status in [
        ("tomorrow", 12, AppointmentStatus.PLANNED),
        ("tomorrow-too", 12, AppointmentStatus.PLANNED),
        ("cancelled", 12, AppointmentStatus.CANCELLED),
        ("moved", 12, AppointmentStatus.MOVED),
        ("today", 11, AppointmentStatus.PLANNED),
        ("day-after", 13, AppointmentStatus.PLANNED),
    ]:
        tenant = factories.UserFactory(email=f"{name}@example.nl", language="en")
        tenancy = factories.TenancyFactory(
            dwelling=factories.DwellingFactory(organisation=chain.organisation),
            tenant=tenant,
        )
        repair_request = factories.RepairRequestFactory(
            dwelling=tenancy.dwelling,
            tenancy=tenancy,
            reported_by=tenant,
            category=chain.category,
            status=Status.SCHEDULED,
            contract=chain.contract,
            contractor=chain.contractor,
        )
        made[name] = factories.AppointmentFactory(
            request=repair_request, slot=slots[day], status=status
        )
    return made


def test_the_reminder_goes_out_once_the_day_before_and_only_for_planned_visits(
    visits, time_machine, mailoutbox
):
    # given it is the evening before 12 March
    time_machine.move_to(datetime.datetime(2026, 3, 11, 19, 0, tzinfo=AMSTERDAM), tick=True)

    # when the periodic task runs twice
    counts = [tasks.appointment_reminders_send.delay().get() for _ in range(2)]

    # then the two planned visits of tomorrow got one reminder each, and nothing else did
    assert counts == [2, 0]
    assert sorted((m.to[0], m.subject) for m in mailoutbox) == sorted(
        [
            ("tomorrow@example.nl", f"Tomorrow: repair {visits['tomorrow'].request.reference}"),
            (
                "tomorrow-too@example.nl",
                f"Tomorrow: repair {visits['tomorrow-too'].request.reference}",
            ),
        ]
    )
    reminded = set(
        Appointment.objects.filter(reminder_sent_at__isnull=False).values_list("pk", flat=True)
    )
    assert reminded == {visits["tomorrow"].pk, visits["tomorrow-too"].pk}
    assert "A reminder: tomorrow" in mailoutbox[0].body
    assert visit_times(invitation(mailoutbox[0]))["start"] == datetime.datetime(
        2026, 3, 12, 8, 0, tzinfo=AMSTERDAM
    )


def test_the_reminder_follows_the_amsterdam_date_not_the_utc_date(visits, time_machine, mailoutbox):
    # given it is 00:30 on 11 March in Amsterdam, still 10 March in UTC
    time_machine.move_to(datetime.datetime(2026, 3, 11, 0, 30, tzinfo=AMSTERDAM), tick=True)
    assert timezone.now().astimezone(datetime.UTC).date() == datetime.date(2026, 3, 10)

    # when
    count = tasks.appointment_reminders_send.delay().get()

    # then tomorrow is the 12th, as the tenant counts
    assert count == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["tomorrow-too@example.nl", "tomorrow@example.nl"]


# -- the calendar invitation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("visit_date", "utc_start"),
    [
        (datetime.date(2026, 1, 15), datetime.datetime(2026, 1, 15, 7, 0, tzinfo=datetime.UTC)),
        (datetime.date(2026, 7, 16), datetime.datetime(2026, 7, 16, 6, 0, tzinfo=datetime.UTC)),
    ],
    ids=["winter-time", "summer-time"],
)
def test_the_invitation_is_a_morning_in_amsterdam_time(
    chain,
    tenant_client,
    time_machine,
    django_capture_on_commit_callbacks,
    mailoutbox,
    visit_date,
    utc_start,
):
    # given three days before a morning visit is booked
    time_machine.move_to(
        datetime.datetime.combine(visit_date, datetime.time(10), tzinfo=AMSTERDAM)
        - datetime.timedelta(days=3)
    )
    slot = chain.slot(date=visit_date)
    with django_capture_on_commit_callbacks(execute=True):
        repair_request = report_with_visit(chain, slot)
    assert slot.starts_at == utc_start

    # when the confirmation's attachment and the page's .ics are read
    from_mail = invitation(next(m for m in mailoutbox if m.to == [chain.tenant.email]))
    response = tenant_client.get(reverse("repair_ics", args=[repair_request.reference]))
    from_page = Calendar.from_ical(response.content)

    # then both hold 08:00–12:00 local time, with the Amsterdam time zone
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="afspraak-{repair_request.reference}.ics"'
    )
    for calendar in (from_mail, from_page):
        times = visit_times(calendar)
        assert times["tzid"] == ("Europe/Amsterdam", "Europe/Amsterdam")
        assert times["timezones"] == ["Europe/Amsterdam"]
        assert (times["start"].replace(tzinfo=None), times["end"].replace(tzinfo=None)) == (
            datetime.datetime.combine(visit_date, datetime.time(8)),
            datetime.datetime.combine(visit_date, datetime.time(12)),
        )
        assert times["start"] == utc_start
        assert times["end"] - times["start"] == datetime.timedelta(hours=4)
    day = visit_date.strftime("%Y%m%d")
    raw = response.content.decode()
    assert f"DTSTART;TZID=Europe/Amsterdam:{day}T080000" in raw
    assert f"DTEND;TZID=Europe/Amsterdam:{day}T120000" in raw
