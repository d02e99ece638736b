"""AVG: personal data is anonymised when the association's retention has passed after a
tenancy ended, a tenant downloads their own data, and staff erase a former tenant's data
early on request (refused, with the reason, while a tenancy runs or a request is open)."""

import datetime
import io
import json
import logging
import zipfile
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from portal.models import Tenancy, User
from privacy.services import (
    months_before,
    retention_sweep,
    tenancies_anonymise,
)
from privacy.tasks import retention_sweep as retention_sweep_task
from repairs.models import Appointment, Photo, RepairEvent, RepairRequest
from surveys.models import InvitationStatus, SurveyInvitation, SurveyResponse

from . import factories
from .queries import count_queries, count_queries_settled

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
DESCRIPTION = "De kraan lekt, sleutel ligt bij buurvrouw Jansen op nummer 14."
COMMENT = "Meneer de Vries was vriendelijk, bel me op 0687654321."
ENDED = datetime.date(2024, 3, 1)  # two years later: 1 March 2026


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime(day.year, day.month, day.day, hour, tzinfo=AMSTERDAM)


def personal_request_create(
    chain, *, status: str = "completed", visit_day: int = 0
) -> RepairRequest:
    """A request of the chain's tenancy holding personal text everywhere it can: contact
    phone, description, access notes, a timeline note, visit notes, a photo, a survey
    invitation and an answer with a comment."""
    repair_request = factories.routed_request_create(
        chain,
        description=DESCRIPTION,
        access_notes="Bel aan bij Jansen.",
        contact_phone="0612345678",
        caller_name="Mevrouw Jansen (buurvrouw)",
        first_time_fix=True,
    )
    factories.RepairEventFactory(
        request=repair_request, status="cancelled", note="Ik ben verhuisd."
    )
    appointment = factories.visit_create(
        repair_request,
        chain.slot(date=datetime.date(2024, 1, 10) + datetime.timedelta(days=visit_day)),
        status="done",
        outcome="fixed",
        outcome_notes="Mevrouw Jansen liet ons binnen.",
    )
    factories.PhotoFactory(request=repair_request, appointment=appointment)
    RepairRequest.objects.filter(pk=repair_request.pk).update(
        status=status, completed_at=at(datetime.date(2024, 1, 10), 11)
    )
    invitation = SurveyInvitation.objects.create(
        organisation=chain.organisation,
        request=repair_request,
        contractor=chain.contractor,
        area=chain.area,
        email=chain.tenant.email,
        status=InvitationStatus.ANSWERED,
        due_at=at(datetime.date(2024, 1, 10), 13),
    )
    SurveyResponse.objects.create(
        organisation=chain.organisation,
        invitation=invitation,
        contractor=chain.contractor,
        area=chain.area,
        overall_grade=8,
        comment=COMMENT,
        may_contact=True,
    )
    repair_request.refresh_from_db()
    return repair_request


@pytest.fixture
def former(chain, media_root):
    """The chain's tenant moved out on 1 March 2024; one finished repair full of personal text."""
    Tenancy.objects.filter(pk=chain.tenancy.pk).update(
        end_date=ENDED, start_date=datetime.date(2020, 1, 1), claimed_from_ip="192.0.2.7"
    )
    repair_request = personal_request_create(chain)
    return chain, repair_request


def personal_text(repair_request: RepairRequest) -> dict:
    repair_request.refresh_from_db()
    response = SurveyResponse.objects.get(invitation__request=repair_request)
    return {
        "description": repair_request.description,
        "access_notes": repair_request.access_notes,
        "contact_phone": repair_request.contact_phone,
        "caller_name": repair_request.caller_name,
        "event_notes": sorted(
            RepairEvent.objects.filter(request=repair_request)
            .exclude(note="")
            .values_list("note", flat=True)
        ),
        "visit_notes": list(
            Appointment.objects.filter(request=repair_request)
            .exclude(outcome_notes="")
            .values_list("outcome_notes", flat=True)
        ),
        "photos": Photo.objects.filter(request=repair_request).count(),
        "invitation_email": response.invitation.email,
        "comment": response.comment,
        "may_contact": response.may_contact,
    }


ANONYMISED = {
    "description": "",
    "access_notes": "",
    "contact_phone": "",
    "caller_name": "",
    "event_notes": [],
    "visit_notes": [],
    "photos": 0,
    "invitation_email": "",
    "comment": "",
    "may_contact": False,
}


# -- retention ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "months", "expected"),
    [
        (datetime.date(2026, 3, 2), 24, datetime.date(2024, 3, 2)),
        (datetime.date(2026, 3, 31), 1, datetime.date(2026, 2, 28)),
        (datetime.date(2028, 2, 29), 12, datetime.date(2027, 2, 28)),
        (datetime.date(2026, 1, 15), 13, datetime.date(2024, 12, 15)),
    ],
)
def test_months_before_keeps_the_day_or_takes_the_months_last(today, months, expected):
    assert months_before(today, months) == expected


@pytest.mark.django_db
def test_a_day_before_two_years_after_the_end_the_data_is_kept(former, time_machine):
    # given the tenancy ended 1 March 2024, and it is the last day of the two years
    chain, repair_request = former
    time_machine.move_to(at(datetime.date(2026, 3, 1), 23), tick=False)
    before = personal_text(repair_request)

    # when
    counts = retention_sweep()

    # then
    assert counts.tenancies == 0
    assert personal_text(repair_request) == before
    assert before["description"] == DESCRIPTION
    assert User.objects.filter(pk=chain.tenant.pk).exists()


@pytest.mark.django_db
def test_a_day_after_two_years_the_personal_data_is_anonymised(
    former, time_machine, django_capture_on_commit_callbacks
):
    # given the two years after 1 March 2024 have passed
    chain, repair_request = former
    photo_file = Path(Photo.objects.get(request=repair_request).image.path)
    assert photo_file.exists()
    time_machine.move_to(at(datetime.date(2026, 3, 2), 3), tick=False)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        counts = retention_sweep()

    # then text, photos, e-mail and account are gone; the figures' fields stay
    assert counts.as_dict() == {
        "tenancies": 1,
        "requests": 1,
        "events": 1,
        "appointments": 1,
        "photos": 1,
        "invitations": 1,
        "responses": 1,
        "accounts_removed": 1,
    }
    assert personal_text(repair_request) == ANONYMISED
    assert not photo_file.exists()
    tenancy = Tenancy.objects.get(pk=chain.tenancy.pk)
    assert (tenancy.email, tenancy.claimed_from_ip, tenancy.tenant_id) == ("", None, None)
    assert tenancy.anonymised_at == at(datetime.date(2026, 3, 2), 3)
    assert not User.objects.filter(pk=chain.tenant.pk).exists()
    assert (repair_request.status, repair_request.first_time_fix) == ("completed", True)
    assert SurveyResponse.objects.get(invitation__request=repair_request).overall_grade == 8


@pytest.mark.django_db
def test_a_second_run_finds_nothing_to_do(former, time_machine):
    # given a sweep has run
    chain, _request = former
    time_machine.move_to(at(datetime.date(2026, 3, 2)), tick=False)
    retention_sweep()
    first = Tenancy.objects.get(pk=chain.tenancy.pk).anonymised_at

    # when it runs again a day later (the task, as beat starts it)
    time_machine.move_to(at(datetime.date(2026, 3, 3)), tick=False)
    counts = retention_sweep_task()

    # then
    assert set(counts.values()) == {0}
    assert Tenancy.objects.get(pk=chain.tenancy.pk).anonymised_at == first


@pytest.mark.django_db
def test_the_association_sets_how_long_data_is_kept(former, time_machine):
    # given an association that keeps data 36 months
    chain, repair_request = former
    chain.organisation.retention_months = 36
    chain.organisation.save(update_fields=["retention_months"])
    time_machine.move_to(at(datetime.date(2026, 3, 2)), tick=False)

    # when
    counts = retention_sweep()

    # then
    assert counts.tenancies == 0
    assert personal_text(repair_request)["description"] == DESCRIPTION


@pytest.mark.django_db
def test_the_log_gives_counts_never_content(former, time_machine, caplog):
    chain, _request = former
    time_machine.move_to(at(datetime.date(2026, 3, 2)), tick=False)

    with caplog.at_level(logging.INFO, logger="privacy"):
        retention_sweep()

    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "tenancies=1 requests=1" in logged
    for secret in (DESCRIPTION, COMMENT, chain.tenant.email, "0612345678", "192.0.2.7", "Jansen"):
        assert secret not in logged


@pytest.mark.django_db
def test_an_account_with_another_tenancy_stays(former, time_machine):
    # given the tenant rents another dwelling now, with an open request there
    chain, repair_request = former
    current = factories.TenancyFactory(
        dwelling=factories.DwellingFactory(organisation=chain.organisation, postcode="5611AC"),
        tenant=chain.tenant,
    )
    other = factories.RepairRequestFactory(
        dwelling=current.dwelling, tenancy=current, category=chain.category
    )
    time_machine.move_to(at(datetime.date(2026, 3, 2)), tick=False)

    # when
    counts = retention_sweep()

    # then the old tenancy is anonymised, the account and the current data stay
    assert (counts.tenancies, counts.accounts_removed) == (1, 0)
    assert personal_text(repair_request) == ANONYMISED
    assert User.objects.filter(pk=chain.tenant.pk).exists()
    other.refresh_from_db()
    assert other.description == "De kraan in de keuken lekt al twee dagen."
    assert list(Tenancy.objects.filter(tenant=chain.tenant)) == [current]


@pytest.mark.django_db
def test_batches_cover_every_tenancy_once(organisation, time_machine):
    # given five ended tenancies, swept three at a time
    tenancies = [
        factories.TenancyFactory(
            dwelling=factories.DwellingFactory(organisation=organisation),
            start_date=datetime.date(2018, 1, 1),
            end_date=ENDED,
            email=f"oud{number}@example.nl",
        )
        for number in range(5)
    ]
    time_machine.move_to(at(datetime.date(2026, 3, 2)), tick=False)

    # when
    counts = retention_sweep(batch_size=3)

    # then
    assert counts.tenancies == 5
    assert set(
        Tenancy.objects.filter(pk__in=[t.pk for t in tenancies]).values_list("email", flat=True)
    ) == {""}


# -- figures stay the same ------------------------------------------------------------------


@pytest.mark.django_db
def test_kpis_and_fees_are_the_same_after_anonymising(
    organisation, other_organisation, time_machine
):
    # local import: the KPI test's hand-built world and its table, reused as they are
    from contractors import fees
    from surveys.kpis import kpi_rows

    from .test_fees import line_figures
    from .test_kpis import FEB, JAN, TODAY, kpi_world_create, table

    # given the KPI tests' world of January and February 2026
    time_machine.move_to(TODAY, tick=False)
    kpi_world_create(organisation, other_organisation)
    before_rows = table(kpi_rows(organisation_ids=[organisation.pk], start=JAN, end=FEB))
    end = datetime.date(2026, 2, 28)
    before_fees = line_figures(fees.fee_lines(organisation_id=organisation.pk, start=JAN, end=end))

    # when every tenancy of the association is anonymised
    ids = list(Tenancy.objects.filter(organisation=organisation).values_list("pk", flat=True))
    counts = tenancies_anonymise(tenancy_ids=ids, now=TODAY)

    # then
    assert counts.requests > 0
    assert not RepairRequest.objects.filter(organisation=organisation).exclude(description="")
    assert table(kpi_rows(organisation_ids=[organisation.pk], start=JAN, end=FEB)) == before_rows
    after_fees = line_figures(fees.fee_lines(organisation_id=organisation.pk, start=JAN, end=end))
    assert after_fees == before_fees


# -- the tenant's download ------------------------------------------------------------------


def zip_of(response) -> zipfile.ZipFile:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"].startswith('attachment; filename="mijn-gegevens-')
    return zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))


@pytest.mark.django_db
def test_a_tenant_downloads_their_data(tenant_client, chain, other_chain, media_root):
    # given the tenant's request with a photo and an answer, and a neighbour's request
    repair_request = personal_request_create(chain)
    neighbour = factories.routed_request_create(other_chain, description="Buurman zijn lek")
    photo = Photo.objects.get(request=repair_request)

    # when
    zipped = zip_of(tenant_client.get(reverse("my_data_download")))

    # then
    data = json.loads(zipped.read("data.json"))
    photo_name = f"photos/{repair_request.reference}/{photo.pk}.jpg"
    assert sorted(zipped.namelist()) == ["data.json", photo_name]
    assert zipped.read(photo_name) == Path(photo.image.path).read_bytes()
    assert set(data) == {
        "exported_at",
        "account",
        "tenancies",
        "repair_requests",
        "appointments",
        "survey_answers",
        "photos",
    }
    assert data["account"]["email"] == "huurder@example.nl"
    assert [t["contract_number"] for t in data["tenancies"]] == [chain.tenancy.contract_number]
    assert [r["reference"] for r in data["repair_requests"]] == [repair_request.reference]
    assert data["repair_requests"][0]["description"] == DESCRIPTION
    assert data["repair_requests"][0]["contact_phone"] == "0612345678"
    assert [(a["request"], a["outcome"]) for a in data["appointments"]] == [
        (repair_request.reference, "fixed")
    ]
    assert [(s["overall_grade"], s["comment"]) for s in data["survey_answers"]] == [(8, COMMENT)]
    assert data["photos"] == [
        {
            "request": repair_request.reference,
            "file": photo_name,
            "added_at": data["photos"][0]["added_at"],
        }
    ]
    text = zipped.read("data.json").decode()
    assert neighbour.reference not in text
    assert "buurman@example.nl" not in text


@pytest.mark.django_db
def test_the_account_pages_link_to_the_download(tenant_client, chain):
    page = tenant_client.get(reverse("my_repairs"))
    assert reverse("my_data").encode() in page.content

    page = tenant_client.get(reverse("my_data"))
    assert page.status_code == 200
    assert b"Download my data" in page.content
    assert b"removed 24 months after the tenancy ends" in page.content


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "planner", "staff"])
def test_only_tenants_have_a_download(who, english_client, chain, staff_user):
    user = {"anonymous": None, "planner": None, "staff": staff_user}[who]
    if who == "planner":
        user = factories.planner_create(chain.contractor, email="planner@aannemer.nl")
    client = english_client(user)

    for name in ("my_data", "my_data_download"):
        response = client.get(reverse(name))
        if who == "anonymous":
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
        else:
            assert response.status_code == 404


@pytest.mark.django_db
def test_the_download_and_my_data_ask_as_many_queries_for_fifty_rows_as_for_one(
    tenant_client, chain, media_root
):
    personal_request_create(chain)
    pages = (reverse("my_data_download"), reverse("my_data"))
    one = [count_queries_settled(tenant_client, page) for page in pages]
    for number in range(1, 50):
        personal_request_create(chain, visit_day=number)
        factories.TenancyFactory(
            dwelling=factories.DwellingFactory(organisation=chain.organisation),
            tenant=chain.tenant,
            contract_number=f"EXTRA-{number}",
        )
    fifty = [count_queries_settled(tenant_client, page) for page in pages]
    assert fifty == one


# -- staff: export and erasure on request ---------------------------------------------------


def export_url(tenancy) -> str:
    return reverse("admin:privacy_tenantdata_export", args=[tenancy.pk])


def erase_url(tenancy) -> str:
    return reverse("admin:privacy_tenantdata_erase", args=[tenancy.pk])


@pytest.mark.django_db
def test_staff_download_a_tenants_data_of_their_association_only(
    english_client, chain, other_chain, staff_user, media_root
):
    # given a tenant with a second tenancy at another association
    repair_request = personal_request_create(chain)
    elsewhere = factories.TenancyFactory(
        dwelling=factories.DwellingFactory(organisation=other_chain.organisation),
        tenant=chain.tenant,
        contract_number="ELDERS-1",
    )
    client = english_client(staff_user)

    # when
    zipped = zip_of(client.get(export_url(chain.tenancy)))

    # then
    data = json.loads(zipped.read("data.json"))
    assert [t["contract_number"] for t in data["tenancies"]] == [chain.tenancy.contract_number]
    assert [r["reference"] for r in data["repair_requests"]] == [repair_request.reference]
    assert elsewhere.contract_number not in zipped.read("data.json").decode()
    assert len([name for name in zipped.namelist() if name.startswith("photos/")]) == 1


@pytest.mark.django_db
def test_another_associations_tenancy_answers_404(english_client, other_chain, staff_user):
    client = english_client(staff_user)
    assert client.get(export_url(other_chain.tenancy)).status_code == 404
    assert client.get(erase_url(other_chain.tenancy)).status_code == 404
    assert client.post(erase_url(other_chain.tenancy)).status_code == 404
    assert Tenancy.objects.get(pk=other_chain.tenancy.pk).anonymised_at is None


@pytest.mark.django_db
def test_contractor_users_and_tenants_get_nothing_from_the_staff_pages(english_client, chain):
    planner = factories.planner_create(chain.contractor, email="planner@aannemer.nl")
    for user in (planner, chain.tenant):
        client = english_client(user)
        for url in (export_url(chain.tenancy), erase_url(chain.tenancy)):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("admin:login"))
        client.post(erase_url(chain.tenancy))
    assert Tenancy.objects.get(pk=chain.tenancy.pk).anonymised_at is None


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "texts"),
    [
        (
            "en",
            [
                "The data cannot be erased yet:",
                "Tenancy {contract} has not ended.",
                "Repair request {reference} is still open: finish or cancel it first.",
            ],
        ),
        (
            "nl",
            [
                "De gegevens kunnen nog niet worden gewist:",
                "Huurovereenkomst {contract} is nog niet beëindigd.",
                "Reparatieverzoek {reference} staat nog open: rond het af of annuleer het eerst.",
            ],
        ),
    ],
)
def test_erasure_is_refused_while_the_tenancy_runs_and_says_why(
    client, chain, staff_user, media_root, language, texts
):
    # given a current tenancy with an open request
    repair_request = personal_request_create(chain, status="routed")
    client.force_login(staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language

    # when
    page = client.get(erase_url(chain.tenancy))
    posted = client.post(erase_url(chain.tenancy))

    # then both explain, and nothing is erased
    for response in (page, posted):
        assert response.status_code == 200
        content = response.content.decode()
        for text in texts:
            expected = text.format(
                contract=chain.tenancy.contract_number, reference=repair_request.reference
            )
            assert expected in content
    assert personal_text(repair_request)["description"] == DESCRIPTION
    assert Tenancy.objects.get(pk=chain.tenancy.pk).anonymised_at is None


@pytest.mark.django_db
def test_erasure_is_refused_while_a_request_is_open_after_the_move(
    english_client, chain, staff_user, media_root, time_machine
):
    time_machine.move_to(at(datetime.date(2026, 3, 10)), tick=False)
    Tenancy.objects.filter(pk=chain.tenancy.pk).update(end_date=datetime.date(2026, 2, 28))
    repair_request = personal_request_create(chain, status="scheduled")

    page = english_client(staff_user).post(erase_url(chain.tenancy))

    content = page.content.decode()
    assert f"Repair request {repair_request.reference} is still open" in content
    assert "has not ended" not in content
    assert personal_text(repair_request)["description"] == DESCRIPTION


@pytest.mark.django_db
def test_staff_erase_a_former_tenants_data_early(
    english_client, chain, staff_user, media_root, time_machine
):
    # given the tenant moved out last month; the repair is done
    time_machine.move_to(at(datetime.date(2026, 3, 10)), tick=False)
    Tenancy.objects.filter(pk=chain.tenancy.pk).update(end_date=datetime.date(2026, 2, 28))
    repair_request = personal_request_create(chain)
    client = english_client(staff_user)
    assert b"Erase the data now" in client.get(erase_url(chain.tenancy)).content

    # when
    response = client.post(erase_url(chain.tenancy), follow=True)

    # then
    assert response.redirect_chain[-1][0] == reverse("admin:privacy_tenantdata_changelist")
    assert b"The data of 1 tenancies and 1 repair requests is erased." in response.content
    assert personal_text(repair_request) == ANONYMISED
    assert not User.objects.filter(pk=chain.tenant.pk).exists()
    assert Tenancy.objects.get(pk=chain.tenancy.pk).anonymised_at is not None
    assert b"Anonymised" in response.content


@pytest.mark.django_db
def test_the_staff_list_and_erase_page_ask_as_many_queries_for_fifty_rows_as_for_one(
    english_client, chain, staff_user, media_root
):
    client = english_client(staff_user)
    changelist = reverse("admin:privacy_tenantdata_changelist")
    counts_one = (
        count_queries(client, changelist),
        count_queries(client, erase_url(chain.tenancy)),
    )
    for number in range(49):
        factories.TenancyFactory(
            dwelling=factories.DwellingFactory(organisation=chain.organisation),
            tenant=chain.tenant,
            contract_number=f"EXTRA-{number}",
        )
        factories.routed_request_create(chain)
    counts_fifty = (
        count_queries(client, changelist),
        count_queries(client, erase_url(chain.tenancy)),
    )
    assert counts_fifty == counts_one


@pytest.mark.django_db
def test_staff_set_the_retention_in_the_admin(english_client, organisation, staff_user):
    client = english_client(staff_user)
    url = reverse("admin:portal_organisation_change", args=[organisation.pk])
    page = client.get(url)
    assert b"Keep personal data (months)" in page.content
    assert b'name="retention_months" value="24"' in page.content
    form = {
        "emergency_phone": organisation.emergency_phone,
        "contact_phone": "",
        "contact_email": "",
        "mail_from": "",
        "survey_delay_hours": organisation.survey_delay_hours,
    }

    # a month is the least; nothing saved
    refused = client.post(url, {**form, "retention_months": 0})
    assert refused.status_code == 200
    assert b"Ensure this value is greater than or equal to 1." in refused.content
    organisation.refresh_from_db()
    assert organisation.retention_months == 24

    saved = client.post(url, {**form, "retention_months": 36})
    assert saved.status_code == 302
    organisation.refresh_from_db()
    assert organisation.retention_months == 36


@pytest.mark.django_db
def test_other_associations_staff_cannot_change_the_retention(
    english_client, organisation, other_staff_user
):
    url = reverse("admin:portal_organisation_change", args=[organisation.pk])
    response = english_client(other_staff_user).post(url, {"retention_months": 1})
    assert response.status_code == 404
    organisation.refresh_from_db()
    assert organisation.retention_months == 24


@pytest.mark.django_db
def test_an_anonymised_tenancy_is_not_erased_again(
    english_client, former, staff_user, time_machine
):
    # given the retention has anonymised the tenancy
    chain, _request = former
    time_machine.move_to(at(datetime.date(2026, 3, 2)), tick=False)
    retention_sweep()
    done_at = Tenancy.objects.get(pk=chain.tenancy.pk).anonymised_at
    client = english_client(staff_user)

    # when staff open and post its erasure
    page = client.get(erase_url(chain.tenancy))
    posted = client.post(erase_url(chain.tenancy))

    # then it says so, and nothing changes
    for response in (page, posted):
        assert b"This tenancy's data has been anonymised already." in response.content
        assert b"Erase the data now" not in response.content
    assert Tenancy.objects.get(pk=chain.tenancy.pk).anonymised_at == done_at
