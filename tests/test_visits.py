"""The craftsman's day and recording a visit: fixed, follow-up needed (VERA reason) or no
access; photos after the work and materials reused; completion and first-time fix, and what
the tenant reads on the timeline.

Every refusal also asserts that the visit stayed planned and no photo, file, reuse or event
was left behind.
"""

import datetime
import io
import re
from decimal import Decimal
from html import unescape
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from PIL import Image

from repairs import services as planning
from repairs.lifecycle import Status
from repairs.models import (
    Appointment,
    AppointmentStatus,
    MaterialReuse,
    Photo,
    RepairEvent,
    RepairRequest,
)

from . import factories
from .conftest import NOW

REUSE_EMPTY = {
    "reuse-TOTAL_FORMS": "3",
    "reuse-INITIAL_FORMS": "0",
    "reuse-MIN_NUM_FORMS": "0",
    "reuse-MAX_NUM_FORMS": "10",
}


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def jpeg(colour="red") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), colour).save(buffer, "JPEG")
    return SimpleUploadedFile("na.jpg", buffer.getvalue(), content_type="image/jpeg")


def files_in(folder: Path) -> list[Path]:
    return sorted(path for path in Path(folder).rglob("*") if path.is_file())


def record_url(visit) -> str:
    return reverse("visit_record", args=[visit.pk])


def record(client, visit, *, reuses: list[dict] = (), **fields):
    data = {**REUSE_EMPTY, **fields}
    for index, reuse in enumerate(reuses):
        data.update({f"reuse-{index}-{name}": value for name, value in reuse.items()})
    return client.post(record_url(visit), data)


def form_errors(response) -> dict:
    return {name: list(errors) for name, errors in response.context["form"].errors.items()}


def reuse_errors(response) -> list[dict]:
    return [
        {name: list(errors) for name, errors in form.errors.items()}
        for form in response.context["reuses"].forms
    ]


def tenant_timeline(client, repair_request) -> list[str]:
    response = client.get(reverse("repair_detail", args=[repair_request.reference]))
    return [line["text"] for line in response.context["timeline"]]


@pytest.fixture
def visit(now, chain, craftsman, planner):
    """A request the planner planned this afternoon for the craftsman, as the page does."""
    repair_request = factories.routed_request_create(
        chain, access_notes="Key with the neighbours at number 3."
    )
    planning.appointment_plan(
        repair_request=repair_request,
        slot_id=chain.slot(days=0, daypart=chain.afternoon, capacity=2).pk,
        actor=planner,
        craftsman=craftsman,
    )
    return Appointment.objects.get(request=repair_request)


def assert_still_planned(visit, media_root: Path) -> None:
    """The visit as it was: planned, no outcome, no photo, file, reuse or new event."""
    visit.refresh_from_db()
    assert (visit.status, visit.outcome, visit.outcome_reason, visit.recorded_at) == (
        AppointmentStatus.PLANNED,
        "",
        "",
        None,
    )
    assert RepairRequest.objects.get(pk=visit.request_id).status == Status.SCHEDULED
    assert list(Photo.objects.filter(appointment=visit)) == []
    assert files_in(media_root) == []
    assert list(MaterialReuse.objects.all()) == []
    assert [e.status for e in RepairEvent.objects.filter(request_id=visit.request_id)] == [
        Status.SUBMITTED,
        Status.ROUTED,
        Status.SCHEDULED,
    ]


# -- the craftsman's day --------------------------------------------------------------------


def test_the_day_shows_each_visit_with_address_access_notes_and_photos(
    craftsman_client, chain, visit, media_root
):
    # given a photo of the tenant's report
    photo = factories.PhotoFactory(request=visit.request)

    # when
    response = craftsman_client.get(reverse("craftsman_day"))

    # then
    assert response.status_code == 200
    text = text_of(response)
    number = chain.dwelling.house_number
    assert (
        f"My day Tuesday 10 March 12:00–17:00 · Kerkstraat {number} "
        f"Kerkstraat {number}, 5611 AB Eindhoven Tap leaks · {visit.request.reference} "
        "Access: Key with the neighbours at number 3. 06 12345678 Kees Klusser · Planned "
        "Record the visit Details"
    ) in text
    html = response.content.decode()
    url = reverse("contractor_photo", args=[visit.request.reference, photo.pk])
    assert f'<img class="photo-thumb" src="{url}" alt="Photo 1"' in html
    assert f'href="{record_url(visit)}"' in html


def test_the_day_without_visits_says_so(now, craftsman_client):
    # when
    response = craftsman_client.get(reverse("craftsman_day"))

    # then
    assert "No visits today." in text_of(response)


# -- outcomes -------------------------------------------------------------------------------


def test_fixed_at_the_first_visit_completes_the_request_as_a_first_time_fix(
    craftsman_client, tenant_client, craftsman, visit
):
    # when
    response = record(craftsman_client, visit, outcome="fixed", notes="New washer.")

    # then
    assert (response.status_code, response.url) == (302, reverse("craftsman_day"))
    visit.refresh_from_db()
    assert (visit.status, visit.outcome, visit.outcome_reason, visit.outcome_notes) == (
        AppointmentStatus.DONE,
        "fixed",
        "",
        "New washer.",
    )
    assert (
        visit.recorded_at == visit.request.__class__.objects.get(pk=visit.request_id).completed_at
    )
    repair_request = RepairRequest.objects.get(pk=visit.request_id)
    assert (repair_request.status, repair_request.first_time_fix) == (Status.COMPLETED, True)
    event = RepairEvent.objects.filter(request=repair_request).last()
    assert (event.status, event.actor_id, event.data) == (
        Status.COMPLETED,
        craftsman.pk,
        {"outcome": "fixed", "reason": "", "visit": visit.pk},
    )
    assert tenant_timeline(tenant_client, repair_request)[-2:] == [
        "Appointment on Tuesday 10 March afternoon",
        "Solved",
    ]
    day = craftsman_client.get(reverse("craftsman_day"))
    assert "The visit is recorded." in text_of(day)
    assert "Kees Klusser · Visit done · Fixed" in text_of(day)


@pytest.mark.parametrize(
    ("reason", "name"),
    [
        ("MAT", "Materiaal bestellen"),
        ("DIS", "Niet de juiste discipline"),
        ("INS", "Inspectie/beoordeling vereist"),
        ("OFF", "Offerte benodigd"),
        ("ONV", "Onvoldoende tijd"),
    ],
)
def test_follow_up_needed_records_the_vera_reason_and_waits_to_be_planned(
    craftsman_client, planner_client, tenant_client, visit, reason, name
):
    # given the reasons offered
    page = craftsman_client.get(record_url(visit))
    assert f"{reason} – {name}" in [
        label for _value, label in page.context["form"].fields["reason"].choices
    ]

    # when
    response = record(craftsman_client, visit, outcome="follow_up", reason=reason)

    # then
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.status, visit.outcome, visit.outcome_reason) == (
        AppointmentStatus.DONE,
        "follow_up",
        reason,
    )
    repair_request = RepairRequest.objects.get(pk=visit.request_id)
    assert (repair_request.status, repair_request.first_time_fix) == (Status.FOLLOW_UP, None)
    waiting = planner_client.get(reverse("work_queue", args=["plan"]))
    assert [item.reference for item in waiting.context["page"]] == [repair_request.reference]
    assert tenant_timeline(tenant_client, repair_request)[-1] == "Another appointment is needed"


def test_no_access_is_recorded_as_afw_and_waits_to_be_planned(craftsman_client, visit):
    # when
    response = record(craftsman_client, visit, outcome="no_access", reason="MAT")

    # then
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.outcome, visit.outcome_reason) == ("no_access", "AFW")
    assert RepairRequest.objects.get(pk=visit.request_id).status == Status.FOLLOW_UP


def test_a_follow_up_without_a_reason_is_refused_next_to_the_reason(
    craftsman_client, visit, media_root
):
    # when
    response = record(craftsman_client, visit, outcome="follow_up", photos=[jpeg()])

    # then
    assert response.status_code == 422
    assert form_errors(response) == {"reason": ["Choose why another visit is needed."]}
    assert 'id="error_1_id_reason"' in response.content.decode()
    assert_still_planned(visit, media_root)


@pytest.mark.parametrize(
    ("fields", "errors"),
    [
        ({}, {"outcome": ["Choose the outcome of the visit."]}),
        (
            {"outcome": "maybe"},
            {"outcome": ["Select a valid choice. maybe is not one of the available choices."]},
        ),
        (
            {"outcome": "follow_up", "reason": "AFW"},
            {"reason": ["Select a valid choice. AFW is not one of the available choices."]},
        ),
    ],
    ids=["no-outcome", "unknown-outcome", "afw-is-no-follow-up-reason"],
)
def test_an_outcome_the_form_does_not_offer_is_refused(
    craftsman_client, visit, media_root, fields, errors
):
    # when
    response = record(craftsman_client, visit, **fields)

    # then
    assert response.status_code == 422
    assert form_errors(response) == errors
    assert_still_planned(visit, media_root)


def test_a_visit_cannot_be_recorded_before_its_day(
    now, craftsman_client, chain, craftsman, media_root
):
    # given a visit tomorrow
    repair_request = factories.scheduled_request_create(
        chain, chain.slot(days=1), craftsman=craftsman
    )
    visit = repair_request.appointments.get()

    # when
    response = record(craftsman_client, visit, outcome="fixed")

    # then
    assert response.status_code == 422
    assert form_errors(response) == {"__all__": ["A visit can be recorded on its day, not before."]}
    visit.refresh_from_db()
    assert (visit.status, visit.outcome) == (AppointmentStatus.PLANNED, "")
    assert RepairRequest.objects.get(pk=repair_request.pk).status == Status.SCHEDULED


def test_a_visit_is_recorded_once(craftsman_client, visit, media_root):
    # given the visit is recorded as fixed
    record(craftsman_client, visit, outcome="fixed")
    events = list(RepairEvent.objects.values_list("pk", flat=True))

    # when it is posted again, as needing a follow-up
    response = record(craftsman_client, visit, outcome="follow_up", reason="MAT")

    # then
    assert (response.status_code, response.url) == (
        302,
        reverse("contractor_request", args=[visit.request.reference]),
    )
    visit.refresh_from_db()
    assert (visit.outcome, visit.outcome_reason) == ("fixed", "")
    assert list(RepairEvent.objects.values_list("pk", flat=True)) == events
    page = craftsman_client.get(response.url)
    assert "This visit is recorded already." in text_of(page)


def test_an_unassigned_visit_of_today_is_recorded_by_the_craftsman_who_went(
    now, craftsman_client, chain, craftsman
):
    # given a visit this afternoon nobody was assigned to
    repair_request = factories.scheduled_request_create(
        chain, chain.slot(days=0, daypart=chain.afternoon)
    )
    visit = repair_request.appointments.get()

    # when
    record(craftsman_client, visit, outcome="fixed")

    # then
    visit.refresh_from_db()
    assert (visit.status, visit.craftsman_id) == (AppointmentStatus.DONE, craftsman.pk)


# -- first-time fix -------------------------------------------------------------------------


def plan_again(repair_request, chain, planner, craftsman, *, days: int = 1):
    planning.appointment_plan(
        repair_request=repair_request,
        slot_id=chain.slot(days=days).pk,
        actor=planner,
        craftsman=craftsman,
    )
    return repair_request.appointments.get(status=AppointmentStatus.PLANNED)


def test_fixed_at_the_second_visit_after_a_follow_up_is_no_first_time_fix(
    craftsman_client, tenant_client, chain, planner, craftsman, visit, time_machine
):
    # given the first visit needed material, and the next is planned tomorrow
    record(craftsman_client, visit, outcome="follow_up", reason="MAT")
    second = plan_again(visit.request, chain, planner, craftsman)

    # when it is fixed tomorrow
    time_machine.move_to(NOW + datetime.timedelta(days=1), tick=True)
    record(craftsman_client, second, outcome="fixed")

    # then
    repair_request = RepairRequest.objects.get(pk=visit.request_id)
    assert (repair_request.status, repair_request.first_time_fix) == (Status.COMPLETED, False)
    assert list(
        repair_request.appointments.order_by("starts_at").values_list("outcome", "outcome_reason")
    ) == [("follow_up", "MAT"), ("fixed", "")]
    assert tenant_timeline(tenant_client, repair_request) == [
        "Received",
        f"Passed on to {chain.contractor.name}",
        "Appointment on Tuesday 10 March afternoon",
        "Another appointment is needed",
        "Appointment on Wednesday 11 March morning",
        "Solved",
    ]


def test_fixed_after_a_visit_without_access_is_a_first_time_fix(
    craftsman_client, chain, planner, craftsman, visit, time_machine
):
    # given nobody was home at the first visit
    record(craftsman_client, visit, outcome="no_access")
    second = plan_again(visit.request, chain, planner, craftsman)

    # when the second visit fixes it
    time_machine.move_to(NOW + datetime.timedelta(days=1), tick=True)
    record(craftsman_client, second, outcome="fixed")

    # then it was fixed at the first visit with access
    repair_request = RepairRequest.objects.get(pk=visit.request_id)
    assert (repair_request.status, repair_request.first_time_fix) == (Status.COMPLETED, True)


def test_the_tenant_reads_the_visit_after_a_follow_up_as_a_new_appointment(
    craftsman_client, tenant_client, chain, planner, craftsman, visit
):
    # given the first visit needed material, and the next is planned tomorrow
    record(craftsman_client, visit, outcome="follow_up", reason="MAT")
    plan_again(visit.request, chain, planner, craftsman)

    # when
    timeline = tenant_timeline(tenant_client, visit.request)

    # then
    assert timeline[-3:] == [
        "Appointment on Tuesday 10 March afternoon",
        "Another appointment is needed",
        "Appointment on Wednesday 11 March morning",
    ]


def test_the_tenant_reads_that_nobody_was_home(
    craftsman_client, tenant_client, chain, planner, craftsman, visit
):
    # given nobody was home, and the next visit is planned tomorrow
    record(craftsman_client, visit, outcome="no_access")
    plan_again(visit.request, chain, planner, craftsman)

    # when
    timeline = tenant_timeline(tenant_client, visit.request)

    # then
    assert timeline[-3:] == [
        "Appointment on Tuesday 10 March afternoon",
        "Nobody was home; another appointment is needed",
        "Appointment on Wednesday 11 March morning",
    ]


def test_the_tenant_reads_a_visit_moved_by_the_planner_as_moved(
    tenant_client, chain, planner, craftsman, visit
):
    # when the planner moves the visit to tomorrow morning
    plan_again(visit.request, chain, planner, craftsman)

    # then
    assert tenant_timeline(tenant_client, visit.request)[-2:] == [
        "Appointment on Tuesday 10 March afternoon",
        "Appointment moved to Wednesday 11 March morning",
    ]


# -- photos after the work ------------------------------------------------------------------


def test_photos_after_the_work_are_stored_with_the_visit(
    craftsman_client, planner_client, craftsman, visit, media_root
):
    # when
    response = record(craftsman_client, visit, outcome="fixed", photos=[jpeg(), jpeg("blue")])

    # then
    assert response.status_code == 302
    photos = list(Photo.objects.filter(request_id=visit.request_id).order_by("pk"))
    assert [(p.appointment_id, p.uploaded_by_id, p.width, p.height) for p in photos] == [
        (visit.pk, craftsman.pk, 40, 30),
        (visit.pk, craftsman.pk, 40, 30),
    ]
    assert len(files_in(media_root)) == 2
    page = planner_client.get(reverse("contractor_request", args=[visit.request.reference]))
    assert [photo.pk for photo in page.context["repair"].photo_list] == [p.pk for p in photos]


def test_a_file_that_is_no_photo_is_refused_and_nothing_is_stored(
    craftsman_client, visit, media_root
):
    # when
    response = record(
        craftsman_client,
        visit,
        outcome="fixed",
        photos=[jpeg(), SimpleUploadedFile("bon.pdf", b"%PDF-1.4", "application/pdf")],
    )

    # then
    assert response.status_code == 422
    assert list(form_errors(response)) == ["photos"]
    assert_still_planned(visit, media_root)


# -- materials reused -----------------------------------------------------------------------


@pytest.fixture
def vacant(chain):
    """A vacant home of the association, between two tenancies."""
    return factories.DwellingFactory(
        organisation=chain.organisation, reference="VHE004711", is_vacant=True
    )


def test_materials_reused_are_recorded_by_source(
    craftsman_client, planner_client, chain, visit, vacant
):
    # when
    response = record(
        craftsman_client,
        visit,
        outcome="fixed",
        reuses=[
            {"description": "Kitchen tap", "quantity": "1", "source": "vacant",
             "source_reference": " vhe004711 ", "estimated_value": "45.00"},
            {"description": "Tiles", "quantity": "2.5", "source": "depot"},
            {"description": "Door handle", "quantity": "1", "source": "same"},
        ],
    )  # fmt: skip

    # then
    assert response.status_code == 302
    reuses = MaterialReuse.objects.order_by("pk")
    assert [
        (
            r.appointment_id,
            r.contractor_id,
            r.organisation_id,
            r.description,
            r.quantity,
            r.source,
            r.source_dwelling_id,
            r.estimated_value,
        )
        for r in reuses
    ] == [
        (visit.pk, chain.contractor.pk, chain.organisation.pk, "Kitchen tap", Decimal("1.00"),
         "vacant", vacant.pk, Decimal("45.00")),
        (visit.pk, chain.contractor.pk, chain.organisation.pk, "Tiles", Decimal("2.50"),
         "depot", None, Decimal("0.00")),
        (visit.pk, chain.contractor.pk, chain.organisation.pk, "Door handle", Decimal("1.00"),
         "same", None, Decimal("0.00")),
    ]  # fmt: skip
    page = planner_client.get(reverse("contractor_request", args=[visit.request.reference]))
    text = text_of(page)
    assert "♻ 1.00 st Kitchen tap · Vacant dwelling VHE004711" in text
    assert "♻ 2.50 st Tiles · Depot" in text
    assert "♻ 1.00 st Door handle · Same dwelling" in text


@pytest.mark.parametrize(
    ("make_dwelling", "message"),
    [
        (
            lambda chain, other_chain: factories.DwellingFactory(
                organisation=chain.organisation, reference="VHE004711", is_vacant=False
            ),
            "Dwelling VHE004711 is not vacant.",
        ),
        (
            lambda chain, other_chain: factories.DwellingFactory(
                organisation=other_chain.organisation, reference="VHE004711", is_vacant=True
            ),
            "No dwelling VHE004711 of this association.",
        ),
        (lambda chain, other_chain: None, "No dwelling VHE004711 of this association."),
    ],
    ids=["let", "other-association", "unknown"],
)
def test_reuse_from_a_dwelling_that_is_not_a_vacant_one_of_the_association_is_refused(
    craftsman_client, chain, other_chain, visit, media_root, make_dwelling, message
):
    # given
    make_dwelling(chain, other_chain)

    # when
    response = record(
        craftsman_client,
        visit,
        outcome="fixed",
        photos=[jpeg()],
        reuses=[
            {"description": "Tiles", "quantity": "3", "source": "depot"},
            {"description": "Kitchen tap", "quantity": "1", "source": "vacant",
             "source_reference": "VHE004711"},
        ],
    )  # fmt: skip

    # then
    assert response.status_code == 422
    assert form_errors(response) == {}
    assert reuse_errors(response) == [{}, {"source_reference": [message]}, {}]
    html = response.content.decode()
    assert re.search(
        rf'<[^>]+id="error_1_id_reuse-1-source_reference"[^>]*>\s*<strong>{re.escape(message)}',
        html,
    )
    assert "Please correct the fields marked below." in text_of(response)
    assert_still_planned(visit, media_root)


@pytest.mark.parametrize(
    ("row", "errors"),
    [
        (
            {"description": "Kitchen tap", "quantity": "1", "source": "vacant"},
            {"source_reference": ["Give the VHE number of the vacant dwelling."]},
        ),
        (
            {"description": "Tiles"},
            {
                "quantity": ["Fill this in too, or leave the whole row empty."],
                "source": ["Fill this in too, or leave the whole row empty."],
            },
        ),
        (
            {"description": "Tiles", "quantity": "0", "source": "depot"},
            {"quantity": ["Ensure this value is greater than or equal to 0.01."]},
        ),
    ],
    ids=["vacant-without-number", "half-a-row", "nothing-of-it"],
)
def test_an_incomplete_reuse_row_is_refused_next_to_its_fields(
    craftsman_client, visit, media_root, row, errors
):
    # when
    response = record(craftsman_client, visit, outcome="fixed", reuses=[row])

    # then
    assert response.status_code == 422
    assert reuse_errors(response) == [errors, {}, {}]
    assert_still_planned(visit, media_root)


def test_the_service_refuses_a_follow_up_without_a_vera_reason(visit, craftsman):
    # when
    with translation.override("en"), pytest.raises(planning.VisitNotRecordable) as refused:
        planning.visit_record(appointment=visit, outcome="follow_up", reason="XYZ", actor=craftsman)

    # then
    assert refused.value.message == "Choose why another visit is needed."
    visit.refresh_from_db()
    assert visit.status == AppointmentStatus.PLANNED
