"""Large imports written set-based (portal.services.import_job_run, portal.bulk): every row is
checked before anything is written, the file is then written whole in one transaction or not
at all, other apps hear of new and moved dwellings inside that transaction, and the number of
queries does not grow with the number of rows."""

import datetime

import pytest
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection
from django.utils import timezone, translation

from contractors.models import DwellingArea
from portal import services
from portal.imports import DwellingResource
from portal.models import Dwelling, ImportJob, ImportStatus, Tenancy
from portal.services import import_job_run
from portal.signals import dwellings_changed

from . import factories
from .test_imports import (
    BAD_DWELLINGS,
    DWELLING_HEADER,
    DWELLING_IMPORT,
    DWELLING_PROCESS,
    GOOD_DWELLINGS,
    TENANCY_HEADER,
    confirm,
    erp_csv,
    everything,
    preview,
)


def job_for(organisation, content: bytes, kind: str = "dwellings") -> ImportJob:
    return ImportJob.objects.create(
        organisation=organisation, kind=kind, file=ContentFile(content, name="export.csv")
    )


def dwelling_rows(count: int, *, postcode: str = "5611 AB") -> list[list[str]]:
    return [
        [
            f"VHE{number:06d}",
            "Dorpsstraat",
            str(number),
            "",
            postcode,
            "Eindhoven",
            "TUS",
            "01-01-2000",
            "",
            "nee",
        ]
        for number in range(1, count + 1)
    ]


@pytest.fixture(autouse=True)
def english():
    """The job writes its errors in the worker's language; these tests read English."""
    with translation.override("en"):
        yield


@pytest.fixture
def heard():
    """What dwellings_changed told other apps: organisation, dwelling ids, and whether it was
    sent inside a transaction."""
    messages: list[tuple] = []

    def listen(sender, *, organisation_id, dwelling_ids=None, **kwargs):
        ids = None if dwelling_ids is None else sorted(dwelling_ids)
        messages.append((organisation_id, ids, connection.in_atomic_block))

    dwellings_changed.connect(listen, dispatch_uid="test_imports_bulk_listener")
    yield messages
    dwellings_changed.disconnect(dispatch_uid="test_imports_bulk_listener")


@pytest.fixture
def staff_client(english_client, staff_user):
    return english_client(staff_user)


# -- all or nothing ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_error_in_the_last_row_writes_nothing(organisation, media_root):
    # given a stored dwelling the file would change, and a file of 2,500 rows (more than one
    # chunk) whose last row has a postcode that is none
    stored = factories.DwellingFactory(
        organisation=organisation, reference="VHE000001", street="Oudestraat", house_number=1
    )
    before = everything()
    rows = dwelling_rows(2_500)
    rows[-1][4] = "5611"

    # when
    outcome = import_job_run(job_id=job_for(organisation, erp_csv(DWELLING_HEADER, rows)).pk)

    # then the last row is named, and nothing was written
    job = ImportJob.objects.get()
    assert (outcome, job.status, job.processed_rows, job.new_rows) == (
        "refused",
        ImportStatus.REFUSED,
        0,
        0,
    )
    assert job.errors == [
        {
            "row": 2_500,
            "errors": {
                "postcode": [
                    "“5611”: Enter a Dutch postcode: four digits and two letters, for example"
                    " 1234 AB."
                ]
            },
        }
    ]
    assert everything() == before
    stored.refresh_from_db()
    assert stored.street == "Oudestraat"


@pytest.mark.django_db
def test_a_row_the_database_refuses_while_writing_undoes_the_whole_file(
    organisation, media_root, monkeypatch
):
    # given a file of five new dwellings written two rows per chunk, and staff who add a
    # dwelling at the address of the fifth row after the file was checked
    monkeypatch.setattr(services, "IMPORT_CHUNK", 2)
    rows = dwelling_rows(5)
    check_file = DwellingResource.check_file

    def checked_then_address_taken(self, dataset):
        checked = check_file(self, dataset)
        factories.DwellingFactory(
            organisation=organisation, reference="VHE999999", postcode="5611AB", house_number=5
        )
        return checked

    monkeypatch.setattr(DwellingResource, "check_file", checked_then_address_taken)
    job = job_for(organisation, erp_csv(DWELLING_HEADER, rows))

    # when
    with pytest.raises(IntegrityError):
        import_job_run(job_id=job.pk)

    # then the two chunks written before the refusal are gone too, and so is their progress
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.new_rows) == (ImportStatus.FAILED, 0, 0)
    assert list(Dwelling.objects.values_list("reference", flat=True)) == ["VHE999999"]


# -- re-imports and what other apps hear --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_reimport_that_moves_a_dwelling_updates_it_and_tells_other_apps_in_the_transaction(
    organisation, media_root, heard
):
    # given the good file, imported
    import_job_run(job_id=job_for(organisation, erp_csv(DWELLING_HEADER, GOOD_DWELLINGS)).pk)
    pks = dict(Dwelling.objects.values_list("reference", "pk"))
    assert heard == [(organisation.pk, sorted(pks.values()), True)]
    heard.clear()

    # when a later file moves VHE000101 to another postcode and renames VHE000102's street
    later = [
        [*GOOD_DWELLINGS[0][:4], "5612 cd", *GOOD_DWELLINGS[0][5:]],
        ["VHE000102", "Kerkplein", *GOOD_DWELLINGS[1][2:]],
        GOOD_DWELLINGS[2],
    ]
    job = job_for(organisation, erp_csv(DWELLING_HEADER, later))
    assert import_job_run(job_id=job.pk) == "done"

    # then the same rows changed, and only the moved dwelling was announced, inside the write
    job.refresh_from_db()
    assert (job.new_rows, job.updated_rows, job.skipped_rows) == (0, 2, 1)
    assert dict(Dwelling.objects.values_list("reference", "pk")) == pks
    assert dict(Dwelling.objects.values_list("reference", "postcode")) == {
        "VHE000101": "5612CD",
        "VHE000102": "5611AB",
        "VHE000103": "5612CD",
    }
    assert Dwelling.objects.get(reference="VHE000102").street == "Kerkplein"
    assert heard == [(organisation.pk, [pks["VHE000101"]], True)]


@pytest.mark.django_db(transaction=True)
def test_when_another_app_cannot_follow_an_import_nothing_of_it_is_written(
    organisation, media_root
):
    # given the good file imported, and an app whose bookkeeping fails on the next change
    import_job_run(job_id=job_for(organisation, erp_csv(DWELLING_HEADER, GOOD_DWELLINGS)).pk)
    before = everything()

    def refuse(sender, **kwargs):
        raise RuntimeError("the stored areas could not be refreshed")

    dwellings_changed.connect(refuse, dispatch_uid="test_imports_bulk_refuse")
    try:
        # when a later file moves a dwelling
        later = [[*GOOD_DWELLINGS[0][:4], "5612 cd", *GOOD_DWELLINGS[0][5:]]]
        job = job_for(organisation, erp_csv(DWELLING_HEADER, later))
        with pytest.raises(RuntimeError):
            import_job_run(job_id=job.pk)
    finally:
        dwellings_changed.disconnect(dispatch_uid="test_imports_bulk_refuse")

    # then the move was not written either
    job.refresh_from_db()
    assert job.status == ImportStatus.FAILED
    assert everything() == before


@pytest.mark.django_db
def test_imported_and_moved_dwellings_get_the_area_of_their_postcode(
    organisation, staff_client, media_root
):
    # given two areas of the association
    centre = factories.AreaFactory(organisation=organisation, name="Centrum")
    factories.PostcodeRuleFactory(area=centre, range_start=5611, range_end=5611)
    east = factories.AreaFactory(organisation=organisation, name="Oost")
    factories.PostcodeRuleFactory(area=east, range_start=5612, range_end=5612)

    # when the good file comes through the admin's confirm step, and then a job moves one
    confirm(
        staff_client,
        DWELLING_PROCESS,
        preview(
            staff_client,
            DWELLING_IMPORT,
            erp_csv(DWELLING_HEADER, GOOD_DWELLINGS),
        ),
    )
    after_admin = dict(
        DwellingArea.objects.values_list("dwelling__reference", "area__name").order_by()
    )
    later = [[*GOOD_DWELLINGS[0][:4], "5612 cd", *GOOD_DWELLINGS[0][5:]], *GOOD_DWELLINGS[1:]]
    import_job_run(job_id=job_for(organisation, erp_csv(DWELLING_HEADER, later)).pk)

    # then each dwelling's stored area follows its postcode
    assert after_admin == {"VHE000101": "Centrum", "VHE000102": "Centrum", "VHE000103": "Oost"}
    assert dict(
        DwellingArea.objects.values_list("dwelling__reference", "area__name").order_by()
    ) == {"VHE000101": "Oost", "VHE000102": "Centrum", "VHE000103": "Oost"}


@pytest.mark.django_db
def test_a_large_import_refreshes_the_whole_association_in_one_go(
    organisation, media_root, heard, monkeypatch
):
    # given more new dwellings than the signal names one by one
    monkeypatch.setattr(services, "DWELLING_IDS_IN_SIGNAL", 2)

    # when
    import_job_run(job_id=job_for(organisation, erp_csv(DWELLING_HEADER, dwelling_rows(3))).pk)

    # then other apps are told to look at the whole association
    assert heard == [(organisation.pk, None, True)]


@pytest.mark.django_db
def test_reimported_tenancies_keep_the_tenant_who_claimed_them(organisation, media_root):
    # given a tenancy a tenant has claimed
    dwelling = factories.DwellingFactory(organisation=organisation, reference="VHE000101")
    other = factories.DwellingFactory(organisation=organisation, reference="VHE000102")
    tenant = factories.UserFactory()
    claimed_at = timezone.now()
    tenancy = factories.TenancyFactory(
        dwelling=dwelling, contract_number="HC0000001", tenant=tenant, claimed_at=claimed_at
    )

    # when the ERP's file ends it and adds the next tenancy of the dwelling
    content = erp_csv(
        TENANCY_HEADER,
        [
            ["HC0000001", "VHE000101", "01-01-2020", "31-03-2026"],
            ["HC0000002", "VHE000101", "2026-04-01", ""],
            ["HC0000003", "VHE000102", "2026-04-01", ""],
        ],
    )
    job = job_for(organisation, content, kind="tenancies")
    import_job_run(job_id=job.pk)

    # then the claimed tenancy is the same row, still the tenant's, with its new end
    job.refresh_from_db()
    assert (job.status, job.new_rows, job.updated_rows) == (ImportStatus.DONE, 2, 1)
    assert list(
        Tenancy.objects.order_by("contract_number").values_list(
            "pk", "contract_number", "dwelling_id", "end_date", "tenant_id", "claimed_at"
        )
    ) == [
        (tenancy.pk, "HC0000001", dwelling.pk, datetime.date(2026, 3, 31), tenant.pk, claimed_at),
        (
            Tenancy.objects.get(contract_number="HC0000002").pk,
            "HC0000002",
            dwelling.pk,
            None,
            None,
            None,
        ),
        (
            Tenancy.objects.get(contract_number="HC0000003").pk,
            "HC0000003",
            other.pk,
            None,
            None,
            None,
        ),
    ]


@pytest.mark.django_db
def test_a_column_the_file_lacks_keeps_what_is_stored(organisation, media_root):
    # given a dwelling that left the portfolio at the end of 2024
    factories.DwellingFactory(
        organisation=organisation,
        reference="VHE000101",
        postcode="5611AB",
        house_number=1,
        in_portfolio_until=datetime.date(2024, 12, 31),
    )
    # when a file without the column of the last day renames its street, and adds another
    header = [column for column in DWELLING_HEADER if column != "in_bezit_tot"]
    rows = [
        ["VHE000101", "Kerkplein", "1", "", "5611AB", "Eindhoven", "TUS", "2000-01-01", "nee"],
        ["VHE000102", "Kerkplein", "2", "", "5611AB", "Eindhoven", "TUS", "2000-01-01", "nee"],
    ]
    job = job_for(organisation, erp_csv(header, rows))
    import_job_run(job_id=job.pk)

    # then the stored last day stays, and the new dwelling has none
    job.refresh_from_db()
    assert (job.status, job.new_rows, job.updated_rows) == (ImportStatus.DONE, 1, 1)
    assert list(
        Dwelling.objects.order_by("reference").values_list("street", "in_portfolio_until")
    ) == [("Kerkplein", datetime.date(2024, 12, 31)), ("Kerkplein", None)]


# -- the job's checks are the preview's ------------------------------------------------------


@pytest.mark.django_db
def test_a_job_finds_the_same_errors_as_the_preview(staff_client, organisation, media_root):
    # given a stored dwelling, and a file with each kind of mistake
    factories.DwellingFactory(
        organisation=organisation, reference="VHE000001", postcode="5611AB", house_number=1
    )
    # fmt: off
    rows = [
        *BAD_DWELLINGS,
        ["VHE000301", "K" * 121, "5", "", "5611AB", "Eindhoven", "TUS", "2020-01-01", "", "nee"],
        ["VHE000302", "Kerkstraat", "0", "", "5611AB", "Eindhoven", "TUS", "2020-01-01", "", ""],
        ["VHE000303", "Kerkstraat", "7", "", "5611AB", "Eindhoven", "Kasteel", "2020-01-01", "", ""],
        ["VHE000304", "Kerkstraat", "8", "", "5611AB", "", "TUS", "2020-01-01", "", ""],
        ["VHE000305", "Kerkstraat", "9", "", "5611AB", "Eindhoven", "TUS", "1 januari", "", ""],
        ["VHE000306", "Kerkstraat", "10", "", "5611AB", "Eindhoven", "TUS", "2020-01-01", "2019-12-31", ""],
        ["VHE000307", "Kerkstraat", "1", "", "5611 ab", "Eindhoven", "TUS", "2020-01-01", "", ""],
        ["VHE000308", "Kerkstraat", "11", "", "5611AB", "Eindhoven", "TUS", "", "", ""],
    ]
    # fmt: on
    content = erp_csv(DWELLING_HEADER, rows)
    before = everything()

    # when the file is previewed, and uploaded as a job
    result = preview(staff_client, DWELLING_IMPORT, content).context["result"]
    job = job_for(organisation, content)
    import_job_run(job_id=job.pk)

    # then both name the same rows with the same messages, and nothing was written
    job.refresh_from_db()
    shown = {row.number: row.error_dict for row in result.invalid_rows}
    assert {error["row"]: error["errors"] for error in job.errors} == shown
    assert sorted(shown) == [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]
    assert shown[5] == {"straat": ["Ensure this value has at most 120 characters (it has 121)."]}
    assert shown[11] == {"postcode": ["This address already belongs to VHE000001."]}
    assert everything() == before


# -- queries do not grow with rows -------------------------------------------------------------

# Per chunk of 2,000 rows one upsert (on PostgreSQL: a TRUNCATE or CREATE of the temporary
# table and one INSERT … ON CONFLICT; the COPY is not a query) and one progress update; the rest
# is per file. 5,000 rows are three chunks, 100 rows one.
QUERIES_PER_JOB = 30


@pytest.mark.django_db
@pytest.mark.parametrize("count", [100, 5_000])
def test_an_import_job_asks_the_same_few_queries_for_100_or_5000_rows(
    organisation, media_root, django_assert_max_num_queries, count
):
    # given an area, so that the new dwellings' areas are stored too
    factories.PostcodeRuleFactory(
        area=factories.AreaFactory(organisation=organisation), range_start=5611, range_end=5611
    )
    rows = dwelling_rows(count)

    # when the file is imported, and then again with every tenth dwelling moved
    with django_assert_max_num_queries(QUERIES_PER_JOB):
        import_job_run(job_id=job_for(organisation, erp_csv(DWELLING_HEADER, rows)).pk)
    for row in rows[::10]:
        row[4] = "5612 AB"
    again = job_for(organisation, erp_csv(DWELLING_HEADER, rows))
    with django_assert_max_num_queries(QUERIES_PER_JOB):
        import_job_run(job_id=again.pk)

    # then
    again.refresh_from_db()
    assert (again.status, again.new_rows, again.updated_rows, again.skipped_rows) == (
        ImportStatus.DONE,
        0,
        count // 10,
        count - count // 10,
    )
    assert Dwelling.objects.filter(postcode="5612AB").count() == count // 10
    assert DwellingArea.objects.filter(area__isnull=False).count() == count - count // 10


@pytest.mark.django_db
@pytest.mark.parametrize("count", [100, 5_000])
def test_a_tenancies_job_asks_the_same_few_queries_for_100_or_5000_rows(
    organisation, media_root, django_assert_max_num_queries, count
):
    # given the dwellings
    Dwelling.objects.bulk_create(
        factories.DwellingFactory.build(
            organisation=organisation, reference=f"VHE{number:06d}", house_number=number
        )
        for number in range(1, count + 1)
    )
    content = erp_csv(
        TENANCY_HEADER,
        [
            [f"HC{number:07d}", f"VHE{number:06d}", "2020-01-01", ""]
            for number in range(1, count + 1)
        ],
    )

    # when
    with django_assert_max_num_queries(QUERIES_PER_JOB):
        import_job_run(job_id=job_for(organisation, content, kind="tenancies").pk)

    # then
    assert Tenancy.objects.filter(organisation=organisation).count() == count
