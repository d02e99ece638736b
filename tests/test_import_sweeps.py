"""Imports that end without an answer get one: a job killed while writing is marked failed
after its time limit, saying nothing was written; a preview that waits more than a day for its
confirmation loses its file and says so; and a row's error names the column as the file
spells it, not the model's field."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import translation

from portal.models import Dwelling, ImportJob, ImportStatus
from portal.services import import_job_run, import_jobs_sweep

from . import factories
from .test_imports import (
    DWELLING_HEADER,
    DWELLING_IMPORT,
    DWELLING_PROCESS,
    GOOD_DWELLINGS,
    confirm,
    erp_csv,
    everything,
    preview,
    start_job,
)

UTC = datetime.UTC
TIMED_OUT = (
    "Stopped: the import did not finish within its time limit of 60 minutes. Nothing was "
    "written, as a file is written whole or not at all. Split the file, or try again at a "
    "quieter time."
)
PREVIEW_EXPIRED = (
    "The preview was not confirmed within a day, so its file has been removed and nothing was "
    "written. Upload the file again to import it."
)


@pytest.fixture(autouse=True)
def previews_in_media_root(media_root):
    return media_root


@pytest.fixture
def staff_client(english_client, staff_user):
    return english_client(staff_user)


def running_job(organisation, *, status, started_at) -> ImportJob:
    job = ImportJob.objects.create(
        organisation=organisation,
        kind="dwellings",
        file=ContentFile(erp_csv(DWELLING_HEADER, GOOD_DWELLINGS), name="export.csv"),
        status=status,
        total_rows=3,
    )
    ImportJob.objects.filter(pk=job.pk).update(created_at=started_at, started_at=started_at)
    return job


# -- a job killed while running ------------------------------------------------------------


@pytest.mark.django_db
def test_a_job_still_running_past_its_time_limit_is_marked_failed_and_says_nothing_was_written(
    staff_client, organisation, time_machine
):
    # given at 12:00 a job writing since 10:30 (its worker killed), one checking since 10:50,
    # and one writing since 11:30, within the hour's limit and its margin
    time_machine.move_to(datetime.datetime(2026, 3, 10, 12, 0, tzinfo=UTC), tick=False)
    killed = running_job(
        organisation,
        status=ImportStatus.WRITING,
        started_at=datetime.datetime(2026, 3, 10, 10, 30, tzinfo=UTC),
    )
    stuck = running_job(
        organisation,
        status=ImportStatus.CHECKING,
        started_at=datetime.datetime(2026, 3, 10, 10, 40, tzinfo=UTC),
    )
    busy = running_job(
        organisation,
        status=ImportStatus.WRITING,
        started_at=datetime.datetime(2026, 3, 10, 11, 30, tzinfo=UTC),
    )

    # when the periodic sweep runs (in English here; a worker writes in the default language)
    with translation.override("en"):
        outcome = import_jobs_sweep()

    # then the two past 75 minutes have failed, with what was written; the busy one runs on
    assert outcome == {"failed": 2, "expired": 0}
    rows = dict(ImportJob.objects.values_list("pk", "status"))
    assert rows == {
        killed.pk: ImportStatus.FAILED,
        stuck.pk: ImportStatus.FAILED,
        busy.pk: ImportStatus.WRITING,
    }
    killed.refresh_from_db()
    assert killed.message == TIMED_OUT
    assert killed.finished_at == datetime.datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
    assert Dwelling.objects.count() == 0

    # and staff read it on the job's page, which no longer refreshes itself
    page = staff_client.get(reverse("admin:portal_importjob_change", args=[killed.pk]))
    content = page.content.decode()
    assert TIMED_OUT in content
    assert "Failed" in content
    assert 'http-equiv="refresh"' not in content


@pytest.mark.django_db
def test_a_job_marked_failed_meanwhile_writes_nothing_when_its_worker_finishes_after_all(
    organisation, media_root
):
    # given a queued job that the sweep marks failed while it writes
    from portal import services

    job = ImportJob.objects.create(
        organisation=organisation,
        kind="dwellings",
        file=ContentFile(erp_csv(DWELLING_HEADER, GOOD_DWELLINGS), name="export.csv"),
    )
    write = services.import_job_write

    def write_then_swept(**kwargs):
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, message=TIMED_OUT)
        write(**kwargs)

    services.import_job_write = write_then_swept
    try:
        # when the worker finishes
        with translation.override("en"), pytest.raises(Exception, match="stopped before it"):
            import_job_run(job_id=job.pk)
    finally:
        services.import_job_write = write

    # then its rows are rolled back, as the job says
    assert Dwelling.objects.count() == 0
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED


@pytest.mark.django_db
def test_a_job_stopped_by_its_soft_time_limit_says_so_and_writes_nothing(
    organisation, media_root, monkeypatch
):
    # given a job whose writing runs into the task's soft time limit
    from celery.exceptions import SoftTimeLimitExceeded

    from portal import bulk

    job = ImportJob.objects.create(
        organisation=organisation,
        kind="dwellings",
        file=ContentFile(erp_csv(DWELLING_HEADER, GOOD_DWELLINGS), name="export.csv"),
    )

    def slow(self, instances):
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(bulk.RowsUpsert, "write", slow)

    # when the worker runs it
    with translation.override("en"), pytest.raises(SoftTimeLimitExceeded):
        import_job_run(job_id=job.pk)

    # then the job says why it failed and that nothing was written
    job.refresh_from_db()
    assert (job.status, job.message, job.errors) == (ImportStatus.FAILED, TIMED_OUT, [])
    assert Dwelling.objects.count() == 0


@pytest.mark.django_db
def test_a_job_that_starts_records_when(organisation, media_root, time_machine):
    # given
    time_machine.move_to(datetime.datetime(2026, 3, 10, 9, 15, tzinfo=UTC), tick=False)
    job = ImportJob.objects.create(
        organisation=organisation,
        kind="dwellings",
        file=ContentFile(erp_csv(DWELLING_HEADER, GOOD_DWELLINGS), name="export.csv"),
    )

    # when
    import_job_run(job_id=job.pk)

    # then
    job.refresh_from_db()
    assert job.started_at == datetime.datetime(2026, 3, 10, 9, 15, tzinfo=UTC)


# -- previews waiting for their confirmation -----------------------------------------------


def preview_files() -> list[str]:
    return (
        sorted(default_storage.listdir("import-previews")[1])
        if default_storage.exists("import-previews")
        else []
    )


@pytest.mark.django_db
def test_a_preview_not_confirmed_within_a_day_loses_its_file_and_says_so(
    staff_client, staff_user, organisation, time_machine
):
    # given a file previewed on Tuesday at 10:00, not confirmed
    time_machine.move_to(datetime.datetime(2026, 3, 10, 10, 0, tzinfo=UTC), tick=False)
    previewed = preview(staff_client, DWELLING_IMPORT, erp_csv(DWELLING_HEADER, GOOD_DWELLINGS))
    job = ImportJob.objects.get()
    assert (job.status, job.kind, job.total_rows, job.created_by) == (
        ImportStatus.PREVIEW,
        "dwellings",
        3,
        staff_user,
    )
    assert len(preview_files()) == 1

    # when the sweep runs before a day has passed, and again after it
    time_machine.move_to(datetime.datetime(2026, 3, 11, 9, 59, tzinfo=UTC), tick=False)
    with translation.override("en"):
        early = import_jobs_sweep()
        time_machine.move_to(datetime.datetime(2026, 3, 11, 10, 1, tzinfo=UTC), tick=False)
        late = import_jobs_sweep()

    # then the file is removed after the day, and the job says why
    assert (early, late) == ({"failed": 0, "expired": 0}, {"failed": 0, "expired": 1})
    assert preview_files() == []
    job.refresh_from_db()
    assert (job.status, job.message, job.file.name) == (ImportStatus.EXPIRED, PREVIEW_EXPIRED, "")
    page = staff_client.get(reverse("admin:portal_importjob_change", args=[job.pk]))
    assert PREVIEW_EXPIRED in page.content.decode()

    # when staff confirm the old preview after all
    confirmed = confirm(staff_client, DWELLING_PROCESS, previewed)

    # then they are told it expired, and nothing is written
    assert confirmed.status_code == 200
    assert "This preview has expired" in confirmed.content.decode()
    assert Dwelling.objects.count() == 0


@pytest.mark.django_db
def test_a_preview_confirmed_in_time_is_done_and_keeps_no_file(staff_client, organisation):
    # given
    previewed = preview(staff_client, DWELLING_IMPORT, erp_csv(DWELLING_HEADER, GOOD_DWELLINGS))

    # when
    confirmed = confirm(staff_client, DWELLING_PROCESS, previewed)

    # then the rows are written, the job is done with its counts, and no file stays behind
    assert confirmed.status_code == 200
    assert Dwelling.objects.filter(organisation=organisation).count() == 3
    job = ImportJob.objects.get()
    assert (job.status, job.new_rows, job.updated_rows, job.skipped_rows, job.file.name) == (
        ImportStatus.DONE,
        3,
        0,
        0,
        "",
    )
    assert preview_files() == []
    assert import_jobs_sweep() == {"failed": 0, "expired": 0}


@pytest.mark.django_db
def test_a_refused_preview_keeps_no_file(staff_client):
    # given / when a file with a bad row is previewed
    bad = [["VHE000301", "Kerkstraat", "", "", "5611AB", "Eindhoven", "TUS", "2020-01-01", "", ""]]
    preview(staff_client, DWELLING_IMPORT, erp_csv(DWELLING_HEADER, bad))

    # then there is nothing to confirm, so nothing is kept
    assert preview_files() == []
    assert ImportJob.objects.count() == 0


@pytest.mark.django_db
def test_another_associations_preview_cannot_be_confirmed(
    staff_client, english_client, other_staff_user, organisation
):
    # given A's preview
    previewed = preview(staff_client, DWELLING_IMPORT, erp_csv(DWELLING_HEADER, GOOD_DWELLINGS))
    before = everything()

    # when staff of B post its confirmation
    confirm(english_client(other_staff_user), DWELLING_PROCESS, previewed)

    # then nothing is written, and A's preview still waits
    assert everything() == before
    assert ImportJob.objects.get().status == ImportStatus.PREVIEW


# -- errors named as the file names its columns --------------------------------------------

# The dates the wrong way round, and a house number of 0.
DATES_REVERSED = [
    [
        "VHE000401",
        "Kerkstraat",
        "4",
        "",
        "5611AB",
        "Eindhoven",
        "TUS",
        "2020-01-01",
        "2019-12-31",
        "",
    ],
    ["VHE000402", "Kerkstraat", "0", "", "5611AB", "Eindhoven", "TUS", "2020-01-01", "", ""],
]


@pytest.mark.django_db
def test_a_jobs_row_errors_name_the_columns_as_the_file_spells_them(
    staff_client, organisation, media_root, django_capture_on_commit_callbacks
):
    # given a file whose headers are in capitals, with a space after one
    header = [name.upper() for name in DWELLING_HEADER]
    header[DWELLING_HEADER.index("in_bezit_tot")] = "In_Bezit_Tot "

    # when it runs as a job
    job = start_job(
        staff_client,
        organisation,
        "dwellings",
        erp_csv(header, DATES_REVERSED),
        django_capture_on_commit_callbacks,
    )

    # then each error names the column as the file does, not the model's field
    job.refresh_from_db()
    assert job.status == ImportStatus.REFUSED
    assert {error["row"]: error["errors"] for error in job.errors} == {
        1: {"In_Bezit_Tot ": ["The last day in the portfolio lies before the first."]},
        2: {"HUISNUMMER": ["Ensure this value is greater than or equal to 1."]},
    }
    content = staff_client.get(
        reverse("admin:portal_importjob_change", args=[job.pk])
    ).content.decode()
    assert "In_Bezit_Tot :" in content
    assert "in_portfolio_until" not in content
    assert "house_number" not in content


@pytest.mark.django_db
def test_the_previews_row_errors_name_the_columns_as_the_file_does(staff_client, organisation):
    # given a dwelling of the association
    factories.DwellingFactory(organisation=organisation, reference="VHE000402")

    # when a file with the dates reversed is previewed
    response = preview(staff_client, DWELLING_IMPORT, erp_csv(DWELLING_HEADER, DATES_REVERSED))

    # then
    assert {row.number: row.error_dict for row in response.context["result"].invalid_rows} == {
        1: {"in_bezit_tot": ["The last day in the portfolio lies before the first."]},
        2: {"huisnummer": ["Ensure this value is greater than or equal to 1."]},
    }
    content = response.content.decode()
    assert "in_portfolio_until" not in content


@pytest.mark.django_db
def test_a_file_with_headers_in_capitals_imports_and_lists_only_the_dwellings_it_lacks(
    staff_client, organisation, media_root, django_capture_on_commit_callbacks
):
    # given a dwelling in the portfolio that the file does not list
    factories.DwellingFactory(
        organisation=organisation, reference="VHE000999", postcode="5699ZZ", house_number=99
    )

    # when a file whose headers are in capitals runs as a job
    header = [name.upper() for name in DWELLING_HEADER]
    job = start_job(
        staff_client,
        organisation,
        "dwellings",
        erp_csv(header, GOOD_DWELLINGS),
        django_capture_on_commit_callbacks,
    )

    # then its rows are written, and only the dwelling it lacks is offered to mark
    job.refresh_from_db()
    assert (job.status, job.new_rows) == (ImportStatus.DONE, 3)
    page = staff_client.get(reverse("admin:portal_importjob_change", args=[job.pk]))
    assert page.context["missing"] == ["VHE000999"]
