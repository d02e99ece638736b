"""A tenant reports a defect: what is refused (and leaves nothing behind), what is stored.

Every refusal is checked twice over: the message next to the field it is about, and that no
request, photo row, photo file, appointment or booked visit was left behind.
"""

import datetime
import io
import random
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape
from PIL import ExifTags, Image, PngImagePlugin

from contractors.models import Slot
from portal.models import Tenancy
from repairs import services
from repairs.lifecycle import Status
from repairs.models import (
    Appointment,
    AppointmentStatus,
    Photo,
    RepairEvent,
    RepairRequest,
    Responsibility,
)
from repairs.photos import photo_clean

from . import factories

DESCRIPTION = "The kitchen tap drips day and night since Monday."
PHONE = "06 12345678"


# -- uploads -------------------------------------------------------------------------------


def jpeg(size=(40, 20), **save_options) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "JPEG", **save_options)
    return buffer.getvalue()


def jpeg_with_location() -> bytes:
    """A phone photo: EXIF with GPS coordinates, lying on its side, and a comment."""
    exif = Image.Exif()
    exif[ExifTags.Base.Software] = "GPS Logger 2.1"
    exif[ExifTags.Base.Orientation] = 6  # turn 90° clockwise to show it upright
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (51.0, 26.0, 30.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (5.0, 28.0, 10.0)
    return jpeg(size=(40, 20), exif=exif, comment=b"GPS 51.4416 N 5.4697 E, Kerkstraat 1")


def png(image: Image.Image, **save_options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG", **save_options)
    return buffer.getvalue()


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes whose header claims width × height pixels: a decompression bomb."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        checksum = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", checksum)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )


@pytest.fixture(scope="module")
def noise_png() -> bytes:
    """A real photo-sized PNG over 10 MB: 2000 × 2000 pixels of noise do not compress."""
    noise = random.Random(2026).randbytes(2000 * 2000 * 3)
    data = png(Image.frombytes("RGB", (2000, 2000), noise), compress_level=1)
    assert len(data) > 10 * 1024 * 1024
    return data


def upload(name: str, data: bytes, content_type: str = "image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def files_in(folder: Path) -> list[Path]:
    return sorted(path for path in Path(folder).rglob("*") if path.is_file())


# -- helpers -------------------------------------------------------------------------------


def form_errors(response) -> dict[str, list[str]]:
    return {field: list(messages) for field, messages in response.context["form"].errors.items()}


def assert_refused_next_to(response, field: str, message: str) -> None:
    """Refused with exactly this message, on this field only, and shown beside that field."""
    assert response.status_code == 422
    assert form_errors(response) == {field: [message]}
    html = response.content.decode()
    assert escape(message) in html
    error_id = "slot-error" if field == "slot" else f"error_1_id_{field}"
    assert f'id="{error_id}"' in html


def assert_nothing_saved(
    media_root: Path, *, tenancy: Tenancy, slot: Slot | None = None, booked: int | None = None
) -> None:
    """No request, event, photo row, photo file or appointment of the tenant; the slot's
    bookings as they were (`booked`, or as the slot object still holds them)."""
    assert list(RepairRequest.objects.filter(tenancy=tenancy)) == []
    assert list(RepairEvent.objects.filter(request__tenancy=tenancy)) == []
    assert list(Photo.objects.all()) == []
    assert files_in(media_root) == []
    assert list(Appointment.objects.filter(request__tenancy=tenancy)) == []
    if slot is not None:
        expected = slot.booked if booked is None else booked
        slot.refresh_from_db()
        assert slot.booked == expected


def report_url(category) -> str:
    return reverse("report_category", args=[category.pk])


def post_report(client, category, **fields):
    data = {"description": DESCRIPTION, "contact_phone": PHONE, **fields}
    return client.post(report_url(category), data)


# -- refusals through the form -------------------------------------------------------------


def test_a_category_of_another_association_is_not_found(
    now, tenant_client, chain, other_chain, media_root
):
    # given a category that belongs to another association
    slot = chain.slot(days=2)

    # when the tenant posts a report for it
    response = post_report(tenant_client, other_chain.category, slot=slot.pk)

    # then the page does not exist for them, and nothing is saved
    assert response.status_code == 404
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot)


@pytest.mark.parametrize(
    ("description", "message"),
    [
        ("", "Describe the problem, so the contractor brings the right things."),
        ("          ", "Describe the problem, so the contractor brings the right things."),
        ("Tap leaks", "Describe the problem in at least 10 characters."),
        ("x" * 2001, "Keep the description to 2000 characters (now 2001)."),
    ],
    ids=["empty", "blanks", "9-characters", "2001-characters"],
)
def test_a_description_out_of_bounds_is_refused_next_to_it(
    now, tenant_client, chain, media_root, description, message
):
    # given a free slot and a photo, so every part but the description is good
    slot = chain.slot(days=2)

    # when
    response = post_report(
        tenant_client,
        chain.category,
        description=description,
        slot=slot.pk,
        photos=[upload("tap.jpg", jpeg())],
    )

    # then
    assert_refused_next_to(response, "description", message)
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot)


def test_descriptions_of_10_and_2000_characters_are_accepted(now, tenant_client, chain, media_root):
    # given / when the shortest and the longest description allowed
    responses = [
        post_report(tenant_client, chain.category, description="x" * length)
        for length in (10, 2000)
    ]

    # then both are reported
    assert [response.status_code for response in responses] == [302, 302]
    assert sorted(len(r.description) for r in RepairRequest.objects.all()) == [10, 2000]


def test_a_file_that_is_not_an_image_is_refused(now, tenant_client, chain, media_root):
    # given
    slot = chain.slot(days=2)
    text = upload("x.jpg", b"This is a letter, not a photo.\n" * 20)

    # when
    response = post_report(tenant_client, chain.category, slot=slot.pk, photos=[text])

    # then
    assert_refused_next_to(
        response, "photos", "x.jpg is not a photo we can open. Send a JPEG, PNG or WebP photo."
    )
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot)


def test_a_photo_over_10_mb_is_refused(now, tenant_client, chain, media_root, noise_png):
    # given a real PNG of more than 10 MB
    slot = chain.slot(days=2)
    megabytes = f"{len(noise_png) / 1024 / 1024:.1f}"

    # when
    response = post_report(
        tenant_client,
        chain.category,
        slot=slot.pk,
        photos=[upload("big.png", noise_png, "image/png")],
    )

    # then the size is named, in the way people read file sizes
    assert_refused_next_to(
        response, "photos", f"big.png is {megabytes}\xa0MB; a photo may be at most 10 MB."
    )
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot)


def test_a_decompression_bomb_is_refused_without_expanding_it(
    now, tenant_client, chain, media_root
):
    # given a tiny PNG whose header declares 20000 × 20000 pixels (400 megapixels)
    slot = chain.slot(days=2)
    bomb = png_declaring(20_000, 20_000)
    assert len(bomb) < 200

    # when
    response = post_report(
        tenant_client, chain.category, slot=slot.pk, photos=[upload("bomb.png", bomb, "image/png")]
    )

    # then
    assert_refused_next_to(
        response, "photos", "bomb.png has too many pixels to be a photo. Send a smaller picture."
    )
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot)


def test_a_picture_of_more_than_40_megapixels_is_refused(now, tenant_client, chain, media_root):
    # given a real 8000 × 6000 (48 megapixel) PNG that compresses to a few kilobytes
    slot = chain.slot(days=2)
    huge = png(Image.new("1", (8000, 6000)))
    assert len(huge) < 100_000

    # when
    response = post_report(
        tenant_client, chain.category, slot=slot.pk, photos=[upload("huge.png", huge, "image/png")]
    )

    # then
    assert_refused_next_to(
        response, "photos", "huge.png has too many pixels to be a photo. Send a smaller picture."
    )
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot)


def test_a_sixth_photo_is_refused(now, tenant_client, chain, media_root):
    # given six good photos
    slot = chain.slot(days=2)
    photos = [upload(f"tap-{number}.jpg", jpeg()) for number in range(1, 7)]

    # when
    response = post_report(tenant_client, chain.category, slot=slot.pk, photos=photos)

    # then
    assert_refused_next_to(response, "photos", "You can add at most 5 photos; you chose 6.")
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot)


def test_five_photos_are_accepted(now, tenant_client, chain, media_root):
    # given / when
    photos = [upload(f"tap-{number}.jpg", jpeg()) for number in range(1, 6)]
    response = post_report(tenant_client, chain.category, photos=photos)

    # then
    assert response.status_code == 302
    assert Photo.objects.count() == 5
    assert len(files_in(media_root)) == 5


def test_a_gif_is_refused(now, tenant_client, chain, media_root):
    # given a real GIF
    slot = chain.slot(days=2)
    buffer = io.BytesIO()
    Image.new("RGB", (20, 20), "blue").save(buffer, "GIF")

    # when
    response = post_report(
        tenant_client,
        chain.category,
        slot=slot.pk,
        photos=[upload("x.gif", buffer.getvalue(), "image/gif")],
    )

    # then
    assert_refused_next_to(response, "photos", "x.gif is not a JPEG, PNG or WebP photo.")
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot)


def _neighbour_books(chain, slot: Slot) -> None:
    """Another tenant of the same area books a visit in the slot."""
    neighbour = factories.TenancyFactory(
        dwelling=factories.DwellingFactory(organisation=chain.organisation, postcode="5611AB"),
        tenant=factories.UserFactory(),
    )
    services.repair_request_report(
        tenancy=neighbour,
        category=chain.category,
        description=DESCRIPTION,
        actor=neighbour.tenant,
        slot_id=slot.pk,
    )


def test_a_slot_taken_between_showing_and_sending_the_form_is_refused(
    now, tenant_client, chain, media_root
):
    # given the form shows a slot with one free visit, and another slot
    slot = chain.slot(days=2)
    chain.slot(days=3)
    page = tenant_client.get(report_url(chain.category))
    assert f'value="{slot.pk}"' in page.content.decode()
    # and a neighbour of the same area books that visit meanwhile
    _neighbour_books(chain, slot)

    # when the tenant sends the form with that slot and a photo
    response = post_report(
        tenant_client, chain.category, slot=slot.pk, photos=[upload("tap.jpg", jpeg())]
    )

    # then
    assert_refused_next_to(
        response, "slot", "This time is no longer available. Choose another time."
    )
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot, booked=1)


def test_the_last_free_slot_taken_between_showing_and_sending_the_form_is_refused(
    now, tenant_client, chain, media_root
):
    # given the form shows the only free visit, and a neighbour books it meanwhile
    slot = chain.slot(days=2)
    page = tenant_client.get(report_url(chain.category))
    assert f'value="{slot.pk}"' in page.content.decode()
    _neighbour_books(chain, slot)

    # when the tenant sends the form with that slot
    response = post_report(tenant_client, chain.category, slot=slot.pk)

    # then the tenant is told, instead of a report without the visit they chose
    assert_refused_next_to(
        response, "slot", "This time is no longer available. Choose another time."
    )
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot, booked=1)


def test_a_slot_taken_while_the_report_is_saved_is_refused_and_its_photos_removed(
    now, tenant_client, chain, media_root, monkeypatch
):
    # given the form checked the slot as free, but a neighbour books it before the report is
    # saved (the race the slot row's conditional update decides)
    slot = chain.slot(days=2)
    other = chain.slot(days=3)
    report = services.repair_request_report

    def neighbour_books_first(**kwargs):
        Slot.objects.filter(pk=slot.pk).update(booked=1)
        return report(**kwargs)

    monkeypatch.setattr(services, "repair_request_report", neighbour_books_first)

    # when
    response = post_report(
        tenant_client,
        chain.category,
        slot=slot.pk,
        photos=[upload("tap.jpg", jpeg()), upload("sink.jpg", jpeg())],
    )

    # then the refusal is next to the slots, which no longer offer the taken one
    assert_refused_next_to(
        response, "slot", "Sorry, this time was just taken by someone else. Choose another time."
    )
    html = response.content.decode()
    assert f'value="{slot.pk}"' not in html
    assert f'value="{other.pk}"' in html
    # and the photos written before the refusal are gone again
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot, booked=1)


def _slot_of_another_contractor(chain) -> Slot:
    contract = factories.ContractFactory(
        area=factories.AreaFactory(organisation=chain.organisation)
    )
    return factories.SlotFactory(
        area=contract.area,
        contractor=contract.contractor,
        date=timezone.localdate() + datetime.timedelta(days=2),
    )


def _slot_of_the_contractor_in_another_area(chain) -> Slot:
    return factories.SlotFactory(
        area=factories.AreaFactory(organisation=chain.organisation),
        contractor=chain.contractor,
        daypart=chain.morning,
        date=timezone.localdate() + datetime.timedelta(days=2),
    )


SLOTS_NOT_OFFERED = {
    "another-contractor": _slot_of_another_contractor,
    "another-area": _slot_of_the_contractor_in_another_area,
    "yesterday": lambda chain: chain.slot(days=-1),
    "today": lambda chain: chain.slot(days=0, daypart=chain.afternoon),
    "in-15-days": lambda chain: chain.slot(days=15),
}


@pytest.mark.parametrize("make_slot", SLOTS_NOT_OFFERED.values(), ids=SLOTS_NOT_OFFERED.keys())
def test_a_slot_not_offered_is_refused_next_to_the_slots(
    now, tenant_client, chain, media_root, make_slot
):
    # given a free slot of the tenant's contractor, and one that is not offered to them
    chain.slot(days=2, daypart=chain.afternoon)
    slot = make_slot(chain)

    # when
    response = post_report(
        tenant_client, chain.category, slot=slot.pk, photos=[upload("tap.jpg", jpeg())]
    )

    # then
    assert_refused_next_to(
        response, "slot", "This time is no longer available. Choose another time."
    )
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot)


def test_a_slot_must_be_chosen_when_free_times_are_offered(now, tenant_client, chain, media_root):
    # given
    slot = chain.slot(days=2)

    # when
    response = post_report(tenant_client, chain.category, photos=[upload("tap.jpg", jpeg())])

    # then
    assert_refused_next_to(response, "slot", "Choose when the contractor may come.")
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot)


# -- refusals by the service, whichever interface calls it ---------------------------------


SLOTS_REFUSED_BY_THE_SERVICE = {
    "another-contractor": (
        _slot_of_another_contractor,
        services.SlotNotBookable,
        "This time is not offered for your repair. Choose another time.",
    ),
    "another-area": (
        _slot_of_the_contractor_in_another_area,
        services.SlotNotBookable,
        "This time is not offered for your repair. Choose another time.",
    ),
    "yesterday": (
        lambda chain: chain.slot(days=-1),
        services.SlotNotBookable,
        "This time has passed. Choose another time.",
    ),
    "today": (
        lambda chain: chain.slot(days=0, daypart=chain.afternoon),
        services.SlotNotBookable,
        "This time has passed. Choose another time.",
    ),
    "in-15-days": (
        lambda chain: chain.slot(days=15),
        services.SlotNotBookable,
        "This time is too far ahead. Choose another time.",
    ),
    "full": (
        lambda chain: chain.slot(days=2, capacity=2, booked=2),
        services.SlotFull,
        "Sorry, this time was just taken by someone else. Choose another time.",
    ),
}


@pytest.mark.parametrize(
    ("make_slot", "error", "message"),
    SLOTS_REFUSED_BY_THE_SERVICE.values(),
    ids=SLOTS_REFUSED_BY_THE_SERVICE.keys(),
)
def test_the_service_refuses_a_slot_it_may_not_book_and_keeps_nothing(
    now, chain, media_root, make_slot, error, message
):
    # given a report with two photos, cleaned as the form cleans them
    slot = make_slot(chain)
    photos = [photo_clean(upload(f"tap-{n}.jpg", jpeg())) for n in (1, 2)]

    # when
    with translation.override("en"), pytest.raises(error) as refusal:
        services.repair_request_report(
            tenancy=chain.tenancy,
            category=chain.category,
            description=DESCRIPTION,
            actor=chain.tenant,
            photos=photos,
            slot_id=slot.pk,
        )

    # then
    assert refusal.value.message == message
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot)


def test_the_service_refuses_a_category_of_another_association(now, chain, other_chain, media_root):
    # given / when
    with translation.override("en"), pytest.raises(services.NotReportable) as refusal:
        services.repair_request_report(
            tenancy=chain.tenancy,
            category=other_chain.category,
            description=DESCRIPTION,
            actor=chain.tenant,
            photos=[photo_clean(upload("tap.jpg", jpeg()))],
        )

    # then
    assert refusal.value.message == "Choose what is broken from the list."
    assert_nothing_saved(media_root, tenancy=chain.tenancy)


# -- a good report -------------------------------------------------------------------------


def test_a_good_report_stores_photos_as_jpeg_without_metadata_outside_the_static_files(
    now, tenant_client, chain, media_root, django_capture_on_commit_callbacks, mailoutbox
):
    # given a phone photo with its location in EXIF and in a comment
    original = jpeg_with_location()
    assert b"GPS" in original
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(ExifTags.IFD.GPSInfo) != {}
    slot = chain.slot(days=2)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = post_report(
            tenant_client,
            chain.category,
            slot=slot.pk,
            photos=[upload("IMG_0001.jpg", original)],
            access_notes="Key with the neighbours at number 3.",
        )

    # then the report is saved, routed and its visit booked
    repair_request = RepairRequest.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("report_done", args=[repair_request.reference])
    assert repair_request.reference == "R-2026-000001"
    assert repair_request.status == Status.SCHEDULED
    assert repair_request.contractor == chain.contractor
    assert repair_request.access_notes == "Key with the neighbours at number 3."
    assert repair_request.contact_phone == PHONE
    appointment = Appointment.objects.get()
    assert (appointment.slot, appointment.status) == (slot, AppointmentStatus.PLANNED)
    slot.refresh_from_db()
    assert slot.booked == 1
    # and the photo is a fresh JPEG, upright, without EXIF, GPS or comment
    photo = Photo.objects.get()
    stored = Path(photo.image.path)
    assert files_in(media_root) == [stored]
    assert stored.is_relative_to(media_root)
    assert not stored.is_relative_to(settings.STATIC_ROOT)
    data = stored.read_bytes()
    assert b"GPS" not in data
    assert b"Kerkstraat" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert "comment" not in image.info
        assert image.size == (20, 40)
    assert (photo.width, photo.height) == (20, 40)
    assert photo.uploaded_by == chain.tenant
    # and the tenant and the contractor are told once each
    assert sorted(mail.to[0] for mail in mailoutbox) == sorted(
        [chain.tenant.email, chain.contractor.email]
    )


def test_a_text_comment_of_a_png_is_not_carried_into_the_stored_jpeg():
    # given a PNG with a comment longer than a JPEG comment can hold
    text = PngImagePlugin.PngInfo()
    text.add_text("comment", "Home of S. de Vries, Kerkstraat 1. " * 2000)
    original = png(Image.new("RGB", (30, 30), "green"), pnginfo=text)

    # when it is cleaned (Pillow used to copy the comment, and failed on its length)
    cleaned = photo_clean(upload("scan.png", original, "image/png"))

    # then
    data = cleaned.content.read()
    assert b"Kerkstraat" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert (image.format, image.size, "comment" in image.info) == ("JPEG", (30, 30), False)


def test_a_stored_photo_is_served_only_at_its_url_to_its_tenant(
    now, tenant_client, client, chain, other_chain, media_root
):
    # given a reported photo
    post_report(tenant_client, chain.category, photos=[upload("tap.jpg", jpeg())])
    photo = Photo.objects.get()
    url = reverse("repair_photo", args=[photo.request.reference, photo.pk])

    # when its tenant opens it
    response = tenant_client.get(url)

    # then it is the stored JPEG, kept out of shared caches
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["Cache-Control"] == "private, max-age=3600"
    # (reading it to the end closes the file, as the test client does for streamed answers)
    assert b"".join(response.streaming_content) == Path(photo.image.path).read_bytes()
    # and the storage path is not served, nor is the photo to another tenant
    assert tenant_client.get(f"/{photo.image.name}").status_code == 404
    assert tenant_client.get(f"/media/{photo.image.name}").status_code == 404
    client.force_login(other_chain.tenant)
    assert client.get(url).status_code == 404


def test_the_done_page_shows_the_booked_visit(now, tenant_client, chain, media_root):
    # given
    slot = chain.slot(days=2)

    # when
    response = post_report(tenant_client, chain.category, slot=slot.pk)
    done = tenant_client.get(response.url)

    # then
    assert done.status_code == 200
    html = done.content.decode()
    assert "Thank you, your report is received" in html
    assert "Your reference: <strong>R-2026-000001</strong>" in html
    assert f"{chain.contractor.name} comes on:" in html
    assert "Thursday 12 March, morning (08:00–12:00)" in html


# -- unroutable, emergency, tenant's own repair --------------------------------------------


def test_a_report_for_a_dwelling_no_area_covers_is_kept_as_unrouted_and_staff_are_told(
    now,
    client,
    chain,
    staff_user,
    media_root,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    # given a tenant whose postcode no rule of the association covers
    tenancy = factories.TenancyFactory(
        dwelling=factories.DwellingFactory(organisation=chain.organisation, postcode="9711AA"),
        tenant=factories.UserFactory(),
    )
    client.force_login(tenancy.tenant)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"

    # when they report, without any times to choose from
    page = client.get(report_url(chain.category))
    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        response = post_report(client, chain.category, photos=[upload("tap.jpg", jpeg())])

    # then the report is kept as unrouted, with its photo
    assert "Send your report: we pass it on to the right contractor" in page.content.decode()
    repair_request = RepairRequest.objects.get()
    assert response.status_code == 302
    assert (repair_request.status, repair_request.contractor, repair_request.contract) == (
        Status.UNROUTED,
        None,
        None,
    )
    assert repair_request.unrouted_alert_sent_at is not None
    assert Photo.objects.filter(request=repair_request).count() == 1
    assert list(Appointment.objects.all()) == []
    # and the tenant reads that it will be planned
    done = client.get(response.url)
    assert (
        "We will plan this: staff of your housing association pass it on to the right "
        "contractor, who then lets you know when they come." in done.content.decode()
    )
    # and the association's staff got one mail
    assert [(mail.to, mail.subject) for mail in mailoutbox] == [
        (["staff@kempenland.nl"], "Repair request R-2026-000001 could not be routed")
    ]


def test_an_emergency_is_urgent_routed_and_told_to_the_contractor_on_commit(
    now, tenant_client, chain, media_root, django_capture_on_commit_callbacks, mailoutbox
):
    # given an emergency category, for which the page shows the emergency number
    chain.slot(days=2)
    gas = factories.RepairCategoryFactory(
        organisation=chain.organisation, name_en="Gas smell", is_emergency=True
    )
    page = tenant_client.get(report_url(gas))
    assert page.status_code == 200
    assert "This is an emergency: call now" in page.content.decode()
    assert 'href="tel:088 123 45 67"' in page.content.decode()

    # when the tenant reports it
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = post_report(tenant_client, gas, description="Strong gas smell in the hall.")

    # then it is saved as urgent and routed, without a visit
    repair_request = RepairRequest.objects.get()
    assert response.status_code == 302
    assert (repair_request.is_urgent, repair_request.status, repair_request.contractor) == (
        True,
        Status.ROUTED,
        chain.contractor,
    )
    assert list(Appointment.objects.all()) == []
    # and the contractor mail leaves on commit, not before
    assert mailoutbox == []
    assert len(callbacks) == 1
    for callback in callbacks:
        callback()
    assert [mail.to for mail in mailoutbox] == [[chain.contractor.email]]
    assert repair_request.reference in mailoutbox[0].subject
    assert "Strong gas smell in the hall." in mailoutbox[0].body
    # and the tenant reads that the contractor knows
    done = tenant_client.get(response.url)
    assert (
        f"{chain.contractor.name} has been told at once and contacts you as soon as possible. "
        "Is it getting worse? Call 088 123 45 67." in done.content.decode()
    )


def test_a_tenants_own_repair_shows_the_advice_and_creates_nothing(
    now, tenant_client, chain, media_root, mailoutbox
):
    # given a category the tenant repairs themselves
    bulb = factories.RepairCategoryFactory(
        organisation=chain.organisation,
        name_en="Light bulb broken",
        responsibility=Responsibility.TENANT,
        tenant_advice_nl="Vervang de lamp zelf.",
        tenant_advice_en="Replace the bulb yourself; any DIY shop sells them.",
    )
    slot = chain.slot(days=2)

    # when the tenant opens it, and posts a report anyway
    page = tenant_client.get(report_url(bulb))
    response = post_report(tenant_client, bulb, slot=slot.pk, photos=[upload("bulb.jpg", jpeg())])

    # then both show the advice, and nothing is created
    for shown in (page, response):
        assert shown.status_code == 200
        html = shown.content.decode()
        assert "This is a repair you carry out yourself" in html
        assert "Replace the bulb yourself; any DIY shop sells them." in html
    assert_nothing_saved(media_root, tenancy=chain.tenancy, slot=slot)
    assert mailoutbox == []
