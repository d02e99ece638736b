"""The tenant's mails about a combined visit: one reminder per visit and dwelling naming each
job, calendar invitations at the visit's time when the host moves; and a report whose
combining fails leaves no photo files behind."""

import datetime
import io
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from icalendar import Calendar
from PIL import Image

from portal.errors import TransitionNotAllowed
from repairs import tasks
from repairs.models import Appointment, AppointmentStatus, Photo, RepairRequest
from repairs.notifications import appointment_reminder_send
from repairs.photos import photo_clean
from repairs.services.appointments import Origin, appointment_join, appointment_plan
from repairs.services.bundling import repair_request_report_combined

from . import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
VISIT_DAY = datetime.date(2026, 3, 12)
EVENING_BEFORE = datetime.datetime(2026, 3, 11, 19, 0, tzinfo=AMSTERDAM)
DESCRIPTION = "The bathroom door does not close any more."


def calendar_events(message) -> list:
    """The VEVENT of each .ics attachment of a mail, in attachment order."""
    return [
        event
        for attachment in message.attachments
        if attachment.mimetype.startswith("text/calendar")
        for event in Calendar.from_ical(attachment.content).walk("VEVENT")
    ]


def neighbour_of(chain, *, email: str):
    """A tenancy in the same building as the chain's dwelling (another suffix)."""
    dwelling = factories.DwellingFactory(
        organisation=chain.organisation,
        postcode=chain.dwelling.postcode,
        house_number=chain.dwelling.house_number,
        house_number_suffix="B",
    )
    tenant = factories.UserFactory(email=email, language="en")
    return factories.TenancyFactory(dwelling=dwelling, tenant=tenant)


@pytest.fixture
def combined(now, chain, planner):
    """A visit on 12 March in the tenant's dwelling with a second job of theirs riding along."""
    host = appointment_plan(
        repair_request=factories.routed_request_create(chain),
        slot_id=chain.slot(date=VISIT_DAY, capacity=3).pk,
        actor=planner,
    )
    rider = appointment_join(
        repair_request=factories.routed_request_create(chain, description=DESCRIPTION),
        visit=host,
        actor=chain.tenant,
        origin=Origin.TENANT,
    )
    return host, rider


def reminders(mailoutbox) -> list:
    return [m for m in mailoutbox if m.subject.startswith("Tomorrow")]


# -- the reminder --------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_combined_visit_gets_one_reminder_naming_both_jobs(
    combined, chain, time_machine, mailoutbox
):
    # given the evening before the combined visit
    host, rider = combined
    time_machine.move_to(EVENING_BEFORE, tick=True)

    # when the periodic task runs twice
    counts = [tasks.appointment_reminders_send.delay().get() for _ in range(2)]

    # then one reminder went out, naming both jobs, with an invitation for each at one time
    assert counts == [1, 0]
    (mail,) = reminders(mailoutbox)
    references = (host.request.reference, rider.request.reference)
    assert mail.to == [chain.tenant.email]
    assert mail.subject == f"Tomorrow: one visit for {references[0]}, {references[1]}"
    assert "comes for these jobs in one visit, Thursday 12 March, morning (08:00–12:00):" in (
        mail.body
    )
    assert f"- {references[0]}: Tap leaks\n- {references[1]}: Tap leaks\n" in mail.body
    events = calendar_events(mail)
    assert [str(event["UID"]) for event in events] == [f"{ref}@ketenportaal" for ref in references]
    assert {event.decoded("DTSTART") for event in events} == {
        datetime.datetime(2026, 3, 12, 8, 0, tzinfo=AMSTERDAM)
    }
    # and both jobs count as reminded, so no later run sends one of them again
    assert set(
        Appointment.objects.filter(reminder_sent_at__isnull=False).values_list("pk", flat=True)
    ) == {host.pk, rider.pk}


@pytest.mark.django_db
def test_the_reminder_of_a_combined_visit_reads_dutch(combined, chain, time_machine, mailoutbox):
    # given a tenant who reads Dutch
    host, rider = combined
    chain.tenant.language = "nl"
    chain.tenant.save(update_fields=["language"])
    time_machine.move_to(EVENING_BEFORE, tick=True)

    # when
    tasks.appointment_reminders_send.delay().get()

    # then
    (mail,) = mailoutbox[-1:]
    assert mail.subject == (
        f"Morgen: één bezoek voor {host.request.reference}, {rider.request.reference}"
    )
    assert "in één bezoek voor deze klussen" in mail.body


@pytest.mark.django_db
def test_a_rider_in_another_dwelling_gets_its_own_reminder(
    combined, chain, planner, time_machine, mailoutbox
):
    # given a neighbour's job in the same building riding along on the visit (a planner's)
    host, rider = combined
    neighbour = neighbour_of(chain, email="buur@example.nl")
    theirs = appointment_join(
        repair_request=factories.routed_request_create(
            chain, dwelling=neighbour.dwelling, tenancy=neighbour, reported_by=neighbour.tenant
        ),
        visit=host,
        actor=planner,
        origin=Origin.PLANNER,
    )
    time_machine.move_to(EVENING_BEFORE, tick=True)

    # when
    count = tasks.appointment_reminders_send.delay().get()

    # then the tenant's reminder names their two jobs, the neighbour's only their own
    assert count == 2
    subjects = {m.to[0]: m.subject for m in reminders(mailoutbox)}
    assert subjects == {
        chain.tenant.email: (
            f"Tomorrow: one visit for {host.request.reference}, {rider.request.reference}"
        ),
        "buur@example.nl": f"Tomorrow: repair {theirs.request.reference}",
    }
    (mail,) = [m for m in mailoutbox if m.to == ["buur@example.nl"]]
    assert host.request.reference not in mail.body
    assert [str(event["LOCATION"]) for event in calendar_events(mail)] == [str(neighbour.dwelling)]


@pytest.mark.django_db
def test_a_job_combined_after_the_reminder_gets_a_reminder_of_its_own(
    combined, chain, planner, time_machine, mailoutbox
):
    # given the visit's reminder went out, and then the planner added a job to the visit
    host, rider = combined
    time_machine.move_to(EVENING_BEFORE, tick=True)
    tasks.appointment_reminders_send.delay().get()
    late = appointment_join(
        repair_request=factories.routed_request_create(chain),
        visit=host,
        actor=planner,
        origin=Origin.PLANNER,
    )

    # when the task runs again
    count = tasks.appointment_reminders_send.delay().get()

    # then the late job is reminded on its own; the earlier mail is not sent again
    assert count == 1
    assert [m.subject for m in reminders(mailoutbox)] == [
        f"Tomorrow: one visit for {host.request.reference}, {rider.request.reference}",
        f"Tomorrow: repair {late.request.reference}",
    ]


@pytest.mark.django_db
def test_a_reminder_leaves_out_a_job_cancelled_after_it_was_queued(
    combined, chain, time_machine, mailoutbox, monkeypatch
):
    # given the reminder queued while the mail server is down
    host, rider = combined
    time_machine.move_to(EVENING_BEFORE, tick=True)
    monkeypatch.setattr(
        "repairs.services.appointments.outbox_send_due", lambda ids: SimpleNamespace(sent=0)
    )
    tasks.appointment_reminders_send.delay().get()
    monkeypatch.undo()
    assert reminders(mailoutbox) == []

    # when the rider's job is cancelled, and then the outbox sends the reminder
    Appointment.objects.filter(pk=rider.pk).update(status=AppointmentStatus.CANCELLED)
    sent = appointment_reminder_send(appointment_id=host.pk, appointment_ids=[host.pk, rider.pk])

    # then it names the job still planned only
    assert sent is True
    (mail,) = reminders(mailoutbox)
    assert mail.subject == f"Tomorrow: repair {host.request.reference}"
    assert len(calendar_events(mail)) == 1


# -- the invitations when the host moves ---------------------------------------------------


@pytest.mark.django_db
def test_moving_the_host_gives_each_tenant_the_time_their_job_has(
    now, chain, planner, tenant_client, django_capture_on_commit_callbacks, mailoutbox
):
    # given a visit with the tenant's second job riding along, and a neighbour's job too
    neighbour = neighbour_of(chain, email="buur@example.nl")
    first_slot = chain.slot(days=4, capacity=2)
    later = chain.slot(days=8, capacity=2)
    with django_capture_on_commit_callbacks(execute=True):
        host = appointment_plan(
            repair_request=factories.routed_request_create(chain),
            slot_id=first_slot.pk,
            actor=planner,
        )
    with django_capture_on_commit_callbacks(execute=True):
        rider = appointment_join(
            repair_request=factories.routed_request_create(chain),
            visit=host,
            actor=chain.tenant,
            origin=Origin.TENANT,
        )
    with django_capture_on_commit_callbacks(execute=True):
        theirs = appointment_join(
            repair_request=factories.routed_request_create(
                chain, dwelling=neighbour.dwelling, tenancy=neighbour, reported_by=neighbour.tenant
            ),
            visit=host,
            actor=planner,
            origin=Origin.PLANNER,
        )
    # each rider's confirmation carries the host's time
    confirmations = {m.subject: calendar_events(m)[0] for m in mailoutbox if m.attachments}
    for job in (rider, theirs):
        (event,) = [
            event for subject, event in confirmations.items() if job.request.reference in subject
        ]
        assert event.decoded("DTSTART") == host.starts_at
        assert event.decoded("DTEND") == host.ends_at
        assert event["SEQUENCE"] == 0
    mailoutbox.clear()

    # when the planner moves the host's job to a later day
    with django_capture_on_commit_callbacks(execute=True):
        moved = appointment_plan(repair_request=host.request, slot_id=later.pk, actor=planner)

    # then the host's tenant gets the new time with the invitation's SEQUENCE raised
    (mail,) = mailoutbox
    assert mail.subject == f"Appointment for repair {host.request.reference}"
    (event,) = calendar_events(mail)
    assert (str(event["UID"]), event["SEQUENCE"]) == (f"{host.request.reference}@ketenportaal", 1)
    assert event.decoded("DTSTART") == moved.starts_at == later.starts_at
    # and the riders keep their time (the first holds the visit's place now), so the
    # invitations their tenants have stay right: no mail tells them of a time they do not have
    rider.refresh_from_db()
    theirs.refresh_from_db()
    assert (rider.shared_visit_id, theirs.shared_visit_id) == (None, rider.pk)
    assert rider.starts_at == theirs.starts_at == first_slot.starts_at
    response = tenant_client.get(reverse("repair_ics", args=[rider.request.reference]))
    (event,) = Calendar.from_ical(response.content).walk("VEVENT")
    assert (event.decoded("DTSTART"), event["SEQUENCE"]) == (first_slot.starts_at, 0)


# -- a failing combination after a report with photos ---------------------------------------


def photo() -> object:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), "red").save(buffer, "JPEG")
    return photo_clean(SimpleUploadedFile("door.jpg", buffer.getvalue(), "image/jpeg"))


def files_in(folder: Path) -> list[Path]:
    return sorted(path for path in Path(folder).rglob("*") if path.is_file())


@pytest.mark.django_db
def test_a_refused_combination_after_the_report_leaves_no_photo_files(
    now, chain, planner, media_root
):
    # given a visit of the neighbour's, which a tenant may not combine with
    neighbour = neighbour_of(chain, email="buur@example.nl")
    visit = appointment_plan(
        repair_request=factories.routed_request_create(
            chain, dwelling=neighbour.dwelling, tenancy=neighbour, reported_by=neighbour.tenant
        ),
        slot_id=chain.slot(days=5, capacity=2).pk,
        actor=planner,
    )

    # when the tenant reports with two photos and asks to combine with it
    with pytest.raises(TransitionNotAllowed):
        repair_request_report_combined(
            tenancy=chain.tenancy,
            category=chain.category,
            description=DESCRIPTION,
            actor=chain.tenant,
            photos=[photo(), photo()],
            contact_phone="06 12345678",
            visit=visit,
        )

    # then neither the report, its photos nor their files are left
    assert not RepairRequest.objects.filter(description=DESCRIPTION).exists()
    assert not Photo.objects.exists()
    assert files_in(media_root) == []
    visit.refresh_from_db()
    assert not visit.riders.exists()


@pytest.mark.django_db
def test_a_rider_refused_after_the_booking_leaves_no_photo_files(
    now, chain, planner, media_root, monkeypatch
):
    # given an open job to take along, and combining that fails after the report is saved
    waiting = factories.routed_request_create(chain)

    def refuse(**kwargs):
        raise TransitionNotAllowed("This visit cannot be combined with this repair.")

    monkeypatch.setattr("repairs.services.bundling.appointment_join", refuse)
    slot = chain.slot(days=5, capacity=2)

    # when the tenant reports with a photo, books a time and takes the waiting job along
    with pytest.raises(TransitionNotAllowed):
        repair_request_report_combined(
            tenancy=chain.tenancy,
            category=chain.category,
            description=DESCRIPTION,
            actor=chain.tenant,
            photos=[photo()],
            contact_phone="06 12345678",
            slot_id=slot.pk,
            riders=[waiting],
        )

    # then nothing of the report is left: no request, photo, file or place in the slot
    assert not RepairRequest.objects.filter(description=DESCRIPTION).exists()
    assert not Photo.objects.exists()
    assert files_in(media_root) == []
    slot.refresh_from_db()
    assert slot.booked == 0


@pytest.mark.django_db
def test_a_combined_report_keeps_its_photo_files(now, chain, planner, media_root):
    # given a visit planned in the tenant's own dwelling
    visit = appointment_plan(
        repair_request=factories.routed_request_create(chain),
        slot_id=chain.slot(days=5, capacity=2).pk,
        actor=planner,
    )

    # when the tenant reports with a photo and combines
    repair_request = repair_request_report_combined(
        tenancy=chain.tenancy,
        category=chain.category,
        description=DESCRIPTION,
        actor=chain.tenant,
        photos=[photo()],
        contact_phone="06 12345678",
        visit=visit,
    )

    # then the photo and its one file stay
    (stored,) = Photo.objects.filter(request=repair_request)
    assert files_in(media_root) == [Path(stored.image.path)]
    assert visit.riders.get().request == repair_request
