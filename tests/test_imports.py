"""Imports of dwellings and tenancies from the ERP's CSV files (portal/imports.py): the admin's
preview lists every row's error and writes nothing; a good file imported twice gives the same
rows (the second time all unchanged); matching is by reference within the association; a
dwelling missing from a later file is kept and may be marked out of the portfolio; a large
file runs as a Celery task (ImportJob) with progress."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from portal.models import Dwelling, ImportJob, ImportStatus, StaffMembership, Tenancy
from portal.services import import_job_run

from . import factories
from .queries import statements_of

DWELLING_IMPORT = reverse("admin:portal_dwelling_import")
DWELLING_PROCESS = reverse("admin:portal_dwelling_process_import")
TENANCY_IMPORT = reverse("admin:portal_tenancy_import")
TENANCY_PROCESS = reverse("admin:portal_tenancy_process_import")
DWELLING_HEADER = [
    "vhe_nummer",
    "straat",
    "huisnummer",
    "toevoeging",
    "postcode",
    "plaats",
    "woningtype",
    "in_bezit_vanaf",
    "in_bezit_tot",
    "leegstand",
]
TENANCY_HEADER = ["huurcontractnummer", "vhe_nummer", "ingangsdatum", "einddatum"]
DWELLING_FIELDS = (
    "reference",
    "street",
    "house_number",
    "house_number_suffix",
    "postcode",
    "city",
    "dwelling_type",
    "in_portfolio_from",
    "in_portfolio_until",
    "is_vacant",
)


def erp_csv(header: list[str], rows: list[list[str]], *, delimiter: str = ";") -> bytes:
    """As a Dutch ERP exports it by default: UTF-8 with a BOM, semicolons, CRLF."""
    lines = [delimiter.join(header), *(delimiter.join(row) for row in rows)]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


# Postcodes as typed in the ERP, types by code or by Dutch or English name, dates in both ways.
# fmt: off
GOOD_DWELLINGS = [
    ["VHE000101", "Kerkstraat", "1", "", "5611 ab", "Eindhoven", "TUS", "01-01-2020", "", "nee"],
    ["VHE000102", "Kerkstraat", "1", "A", "5611AB", "Eindhoven", "Galerijwoning", "2020-01-01", "", "ja"],
    ["VHE000103", "Markt", "12", "", "5612cd", "Eindhoven", "Gallery flat", "15/03/2021", "31-12-2024", "Nee"],
]
GOOD_DWELLINGS_STORED = [
    ("VHE000101", "Kerkstraat", 1, "", "5611AB", "Eindhoven", "TUS", datetime.date(2020, 1, 1), None, False),
    ("VHE000102", "Kerkstraat", 1, "A", "5611AB", "Eindhoven", "GAL", datetime.date(2020, 1, 1), None, True),
    ("VHE000103", "Markt", 12, "", "5612CD", "Eindhoven", "GAL", datetime.date(2021, 3, 15), datetime.date(2024, 12, 31), False),
]
# fmt: on
# Row 1: a postcode that is no postcode; row 3 repeats row 2's reference; row 4 has no house
# number; row 2 is fine but must not be written either.
BAD_DWELLINGS = [
    ["VHE000201", "Kerkstraat", "1", "", "56118AB", "Eindhoven", "TUS", "2020-01-01", "", "nee"],
    ["VHE000202", "Kerkstraat", "2", "", "5611AB", "Eindhoven", "TUS", "2020-01-01", "", "nee"],
    ["VHE000202", "Kerkstraat", "3", "", "5611AB", "Eindhoven", "TUS", "2020-01-01", "", "nee"],
    ["VHE000204", "Kerkstraat", "", "", "5611AB", "Eindhoven", "TUS", "2020-01-01", "", "nee"],
]
BAD_DWELLING_ERRORS = {
    1: {
        "postcode": [
            "“56118AB”: Enter a Dutch postcode: four digits and two letters, for example 1234 AB."
        ]
    },
    3: {"vhe_nummer": ["VHE000202 occurs more than once in the file."]},
    4: {"huisnummer": ["The house number is missing."]},
}


def stored_dwellings(organisation) -> list[tuple]:
    return list(
        Dwelling.objects.filter(organisation=organisation)
        .order_by("reference")
        .values_list(*DWELLING_FIELDS)
    )


def everything() -> list[tuple]:
    """Every dwelling and tenancy row, with its primary key, to see that nothing changed."""
    return [
        *Dwelling.objects.order_by("pk").values_list("pk", *DWELLING_FIELDS, "organisation_id"),
        *Tenancy.objects.order_by("pk").values_list(
            "pk", "contract_number", "dwelling_id", "start_date", "end_date", "organisation_id"
        ),
    ]


def csv_choice(response) -> str:
    """The value of the CSV option of the import form, as a person would pick it."""
    choices = response.context["form"].fields["format"].choices
    return next(value for value, label in choices if label == "csv")


def preview(client, url: str, content: bytes, *, query: str = ""):
    """Upload a file on the import page: the dry run that shows each row or each error."""
    page = client.get(url + query)
    assert page.status_code == 200
    return client.post(
        url + query,
        {
            "format": csv_choice(page),
            "import_file": SimpleUploadedFile("export.csv", content, "text/csv"),
        },
    )


def confirm(client, url: str, previewed):
    """Press “Confirm import” on the preview."""
    form = previewed.context["confirm_form"]
    data = {name: form.initial[name] for name in form.fields if form.initial.get(name) is not None}
    return client.post(url, data, follow=True)


@pytest.fixture(autouse=True)
def previews_in_media_root(media_root):
    """The admin keeps a previewed file in the media storage until it is confirmed."""
    return media_root


@pytest.fixture
def staff_client(english_client, staff_user):
    return english_client(staff_user)


@pytest.fixture
def other_staff_client(english_client, other_staff_user):
    return english_client(other_staff_user)


# -- the admin's preview and confirm ----------------------------------------------------------


@pytest.mark.django_db
def test_a_file_with_bad_rows_shows_every_error_and_writes_nothing(
    staff_client, organisation, other_organisation
):
    # given a dwelling the bad file would update, and one of another association
    factories.DwellingFactory(organisation=organisation, reference="VHE000202", street="Oudestraat")
    factories.DwellingFactory(organisation=other_organisation, reference="VHE000201")
    before = everything()

    # when
    response = preview(
        staff_client, DWELLING_IMPORT, erp_csv(DWELLING_HEADER, BAD_DWELLINGS, delimiter=",")
    )

    # then each bad row is named with its error, there is nothing to confirm, nothing changed
    result = response.context["result"]
    assert {row.number: row.error_dict for row in result.invalid_rows} == BAD_DWELLING_ERRORS
    assert not result.has_errors()
    assert response.context.get("confirm_form") is None
    content = response.content.decode()
    for errors in BAD_DWELLING_ERRORS.values():
        for messages in errors.values():
            assert all(
                message.replace("“", "&ldquo;") in content or message in content
                for message in messages
            )
    assert everything() == before


@pytest.mark.django_db
def test_a_file_without_the_columns_is_refused_as_a_whole(staff_client):
    # given a file that is no dwellings export at all
    content = erp_csv(["nummer", "adres"], [["1", "Kerkstraat 1"]])

    # when
    response = preview(staff_client, DWELLING_IMPORT, content)

    # then
    result = response.context["result"]
    assert [str(error.error) for error in result.base_errors] == [
        "The file lacks the columns: vhe_nummer, straat, huisnummer, postcode, plaats, "
        "in_bezit_vanaf."
    ]
    assert response.context.get("confirm_form") is None
    assert Dwelling.objects.count() == 0


@pytest.mark.django_db
def test_a_good_file_imported_twice_gives_the_same_rows(staff_client, organisation):
    # given a good ERP file (semicolons, a BOM, Dutch dates and names)
    content = erp_csv(DWELLING_HEADER, GOOD_DWELLINGS)

    # when it is previewed and confirmed
    first_preview = preview(staff_client, DWELLING_IMPORT, content)
    assert Dwelling.objects.count() == 0  # the preview wrote nothing
    confirmed = confirm(staff_client, DWELLING_PROCESS, first_preview)

    # then
    assert first_preview.context["result"].totals["new"] == 3
    assert confirmed.status_code == 200
    assert stored_dwellings(organisation) == GOOD_DWELLINGS_STORED
    after_first = everything()

    # when the same file comes again
    second_preview = preview(staff_client, DWELLING_IMPORT, content)
    confirm(staff_client, DWELLING_PROCESS, second_preview)

    # then every row is unchanged, and so is the database
    totals = second_preview.context["result"].totals
    assert (totals["new"], totals["update"], totals["skip"]) == (0, 0, 3)
    assert everything() == after_first


@pytest.mark.django_db
def test_a_later_file_updates_by_reference_and_keeps_missing_dwellings(staff_client, organisation):
    # given the good file, imported
    confirm(
        staff_client,
        DWELLING_PROCESS,
        preview(staff_client, DWELLING_IMPORT, erp_csv(DWELLING_HEADER, GOOD_DWELLINGS)),
    )
    pks = dict(Dwelling.objects.values_list("reference", "pk"))

    # when a later file renames a street, changes a type and no longer lists VHE000103
    later = [
        ["VHE000101", "Kerkplein", *GOOD_DWELLINGS[0][2:]],
        [*GOOD_DWELLINGS[1][:6], "POF", *GOOD_DWELLINGS[1][7:]],
    ]
    previewed = preview(staff_client, DWELLING_IMPORT, erp_csv(DWELLING_HEADER, later))
    confirm(staff_client, DWELLING_PROCESS, previewed)

    # then the same rows were updated, and the missing one is still there, unchanged
    totals = previewed.context["result"].totals
    assert (totals["new"], totals["update"], totals["skip"]) == (0, 2, 0)
    assert dict(Dwelling.objects.values_list("reference", "pk")) == pks
    assert stored_dwellings(organisation) == [
        ("VHE000101", "Kerkplein", *GOOD_DWELLINGS_STORED[0][2:]),
        (*GOOD_DWELLINGS_STORED[1][:6], "POF", *GOOD_DWELLINGS_STORED[1][7:]),
        GOOD_DWELLINGS_STORED[2],
    ]


@pytest.mark.django_db
def test_an_address_of_another_dwelling_is_refused(staff_client, organisation):
    # given a dwelling at Kerkstraat 1, 5611AB
    factories.DwellingFactory(
        organisation=organisation, reference="VHE000001", postcode="5611AB", house_number=1
    )
    before = everything()

    # when a file puts another reference at the same address
    response = preview(staff_client, DWELLING_IMPORT, erp_csv(DWELLING_HEADER, GOOD_DWELLINGS[:1]))

    # then
    assert {row.number: row.error_dict for row in response.context["result"].invalid_rows} == {
        1: {"postcode": ["This address already belongs to VHE000001."]}
    }
    assert everything() == before


@pytest.mark.django_db
def test_staff_import_into_their_own_association_only(
    staff_client, organisation, other_organisation
):
    # given another association's dwelling with the same reference as the file's first row
    theirs = factories.DwellingFactory(
        organisation=other_organisation, reference="VHE000101", street="Elders"
    )

    # when staff of A import, asking for B
    query = f"?organisation={other_organisation.pk}"
    previewed = preview(
        staff_client, DWELLING_IMPORT, erp_csv(DWELLING_HEADER, GOOD_DWELLINGS), query=query
    )
    confirm(staff_client, DWELLING_PROCESS, previewed)

    # then the rows are A's, all new; B's dwelling is untouched
    assert previewed.context["result"].totals["new"] == 3
    assert stored_dwellings(organisation) == GOOD_DWELLINGS_STORED
    assert list(Dwelling.objects.filter(organisation=other_organisation)) == [theirs]
    theirs.refresh_from_db()
    assert theirs.street == "Elders"


@pytest.mark.django_db
def test_a_superuser_imports_into_the_association_chosen_through_the_confirm_step(
    client, superuser, organisation, other_organisation
):
    # given a superuser, who sees both associations (the first by id is A)
    client.force_login(superuser)
    assert organisation.pk < other_organisation.pk

    # when they import for B
    query = f"?organisation={other_organisation.pk}"
    previewed = preview(
        client, DWELLING_IMPORT, erp_csv(DWELLING_HEADER, GOOD_DWELLINGS), query=query
    )
    confirm(client, DWELLING_PROCESS, previewed)

    # then the rows are B's, not A's
    assert stored_dwellings(other_organisation) == GOOD_DWELLINGS_STORED
    assert stored_dwellings(organisation) == []


@pytest.mark.django_db
def test_the_import_page_is_refused_to_staff_who_may_not_add(client, organisation):
    # given staff of the association who may only look at dwellings
    looker = factories.UserFactory(is_staff=True)
    StaffMembership.objects.create(user=looker, organisation=organisation)
    looker.user_permissions.add(Permission.objects.get(codename="view_dwelling"))
    client.force_login(looker)
    content = erp_csv(DWELLING_HEADER, GOOD_DWELLINGS)

    # when
    page = client.get(DWELLING_IMPORT)
    upload = client.post(
        DWELLING_IMPORT,
        {"format": "0", "import_file": SimpleUploadedFile("export.csv", content)},
    )

    # then
    assert (page.status_code, upload.status_code) == (403, 403)
    assert Dwelling.objects.count() == 0


# -- tenancies --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_tenancies_match_dwellings_by_vhe_number_of_the_own_association(
    staff_client, organisation, other_organisation
):
    # given dwellings of A, and one of B with the same VHE number
    own = {
        reference: factories.DwellingFactory(organisation=organisation, reference=reference)
        for reference in ("VHE000101", "VHE000102")
    }
    factories.DwellingFactory(organisation=other_organisation, reference="VHE000101")
    content = erp_csv(
        TENANCY_HEADER,
        [
            ["HC0000001", "VHE000101", "01-01-2020", "31-12-2023"],
            ["HC0000002", " VHE000101 ", "2024-01-01", ""],
            ["HC0000003", "VHE000102", "15/06/2022", ""],
        ],
    )

    # when it is imported twice
    first = preview(staff_client, TENANCY_IMPORT, content)
    confirm(staff_client, TENANCY_PROCESS, first)
    after_first = everything()
    second = preview(staff_client, TENANCY_IMPORT, content)
    confirm(staff_client, TENANCY_PROCESS, second)

    # then the tenancies are on A's dwellings, and the second time nothing changed
    assert first.context["result"].totals["new"] == 3
    assert list(
        Tenancy.objects.order_by("contract_number").values_list(
            "organisation_id", "contract_number", "dwelling_id", "start_date", "end_date"
        )
    ) == [
        (
            organisation.pk,
            "HC0000001",
            own["VHE000101"].pk,
            datetime.date(2020, 1, 1),
            datetime.date(2023, 12, 31),
        ),
        (organisation.pk, "HC0000002", own["VHE000101"].pk, datetime.date(2024, 1, 1), None),
        (organisation.pk, "HC0000003", own["VHE000102"].pk, datetime.date(2022, 6, 15), None),
    ]
    totals = second.context["result"].totals
    assert (totals["new"], totals["update"], totals["skip"]) == (0, 0, 3)
    assert everything() == after_first


@pytest.mark.django_db
def test_a_tenancies_file_with_bad_rows_shows_every_error_and_writes_nothing(
    staff_client, organisation, other_organisation
):
    # given
    factories.DwellingFactory(organisation=organisation, reference="VHE000101")
    factories.DwellingFactory(organisation=other_organisation, reference="VHE000999")
    before = everything()
    content = erp_csv(
        TENANCY_HEADER,
        [
            ["HC0000001", "VHE000101", "2020-01-01", ""],
            ["HC0000002", "VHE000999", "2020-01-01", ""],  # B's dwelling: unknown to A
            ["HC0000001", "VHE000101", "2021-01-01", ""],  # the same contract twice
            ["HC0000004", "VHE000101", "2022-01-01", "2021-01-01"],  # ends before it starts
            ["HC0000005", "VHE000101", "1 januari", ""],
        ],
    )

    # when
    response = preview(staff_client, TENANCY_IMPORT, content)

    # then
    assert {row.number: row.error_dict for row in response.context["result"].invalid_rows} == {
        2: {"vhe_nummer": ["No dwelling VHE000999 in this association."]},
        3: {"huurcontractnummer": ["HC0000001 occurs more than once in the file."]},
        4: {"einddatum": ["The end lies before the start."]},
        5: {"ingangsdatum": ["“1 januari” is not a date (use 2024-01-31)."]},
    }
    assert response.context.get("confirm_form") is None
    assert everything() == before


@pytest.mark.django_db
def test_reimporting_tenancies_does_not_ask_a_question_per_row(staff_client, organisation):
    # given 10 and then 60 tenancies imported once
    def run(count: int) -> int:
        Tenancy.objects.all().delete()
        Dwelling.objects.all().delete()
        Dwelling.objects.bulk_create(
            Dwelling(
                organisation=organisation,
                reference=f"VHE{number:06d}",
                street="Dorpsstraat",
                house_number=number,
                postcode="5611AB",
                city="Eindhoven",
                in_portfolio_from=datetime.date(2020, 1, 1),
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
        confirm(staff_client, TENANCY_PROCESS, preview(staff_client, TENANCY_IMPORT, content))
        responses = []
        statements = statements_of(
            lambda: responses.append(preview(staff_client, TENANCY_IMPORT, content))
        )
        assert responses[0].context["result"].totals["skip"] == count
        return len(statements)

    # when / then
    assert run(60) == run(10)


# -- large files: the ImportJob and its task --------------------------------------------------


def start_job(client, organisation, kind: str, content: bytes, capture):
    """Staff upload a file on the import job's add page; the task runs after the commit."""
    with capture(execute=True):
        response = client.post(
            reverse("admin:portal_importjob_add"),
            {
                "organisation": organisation.pk,
                "kind": kind,
                "file": SimpleUploadedFile("export.csv", content, "text/csv"),
                "_save": "Save",
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    return ImportJob.objects.latest("pk")


@pytest.mark.django_db
def test_a_30000_row_file_completes_as_a_task(
    staff_client, staff_user, organisation, media_root, django_capture_on_commit_callbacks
):
    # given an ERP export of 30,000 dwellings
    rows = [
        [
            f"VHE{number:06d}",
            "Dorpsstraat",
            str(number),
            "",
            f"{5600 + number % 100} AB",
            "Eindhoven",
            "GAL" if number % 4 == 0 else "TUS",
            "01-01-2000",
            "",
            "ja" if number % 50 == 0 else "nee",
        ]
        for number in range(1, 30_001)
    ]

    # when staff upload it as an import job
    job = start_job(
        staff_client,
        organisation,
        "dwellings",
        erp_csv(DWELLING_HEADER, rows),
        django_capture_on_commit_callbacks,
    )

    # then the task has checked and written every row
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed_rows, job.percent) == (
        ImportStatus.DONE,
        30_000,
        30_000,
        100,
    )
    assert (job.new_rows, job.updated_rows, job.skipped_rows, job.errors) == (30_000, 0, 0, [])
    assert (job.organisation, job.created_by) == (organisation, staff_user)
    assert job.finished_at is not None
    assert Dwelling.objects.filter(organisation=organisation).count() == 30_000
    assert Dwelling.objects.filter(is_vacant=True).count() == 600
    assert Dwelling.objects.get(reference="VHE012345").postcode == "5645AB"
    page = staff_client.get(reverse("admin:portal_importjob_change", args=[job.pk]))
    assert page.status_code == 200
    assert '<progress id="import-progress" max="100" value="100"' in page.content.decode()
    assert page.context["missing"] == []


@pytest.mark.django_db
def test_a_job_with_bad_rows_is_refused_and_writes_nothing(
    staff_client, organisation, media_root, django_capture_on_commit_callbacks
):
    # given
    factories.DwellingFactory(organisation=organisation, reference="VHE000202")
    before = everything()

    # when
    job = start_job(
        staff_client,
        organisation,
        "dwellings",
        erp_csv(DWELLING_HEADER, BAD_DWELLINGS),
        django_capture_on_commit_callbacks,
    )

    # then every row's error is kept and shown; nothing was written
    job.refresh_from_db()
    assert job.status == ImportStatus.REFUSED
    assert {error["row"]: error["errors"] for error in job.errors} == BAD_DWELLING_ERRORS
    assert (job.new_rows, job.processed_rows) == (0, 0)
    assert everything() == before
    page = staff_client.get(reverse("admin:portal_importjob_change", args=[job.pk]))
    content = page.content.decode()
    assert 'id="import-errors"' in content
    assert "VHE000202 occurs more than once in the file." in content
    assert "The house number is missing." in content


@pytest.mark.django_db
def test_a_job_imports_the_same_file_twice_to_the_same_rows_and_runs_once(
    staff_client, organisation, media_root, django_capture_on_commit_callbacks
):
    # given a good file, imported as a job
    content = erp_csv(DWELLING_HEADER, GOOD_DWELLINGS)
    first = start_job(
        staff_client, organisation, "dwellings", content, django_capture_on_commit_callbacks
    )
    after_first = everything()

    # when it comes again, and the first job's task is delivered a second time
    second = start_job(
        staff_client, organisation, "dwellings", content, django_capture_on_commit_callbacks
    )
    again = import_job_run(job_id=first.pk)

    # then
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, first.new_rows) == (ImportStatus.DONE, 3)
    assert (second.status, second.new_rows, second.updated_rows, second.skipped_rows) == (
        ImportStatus.DONE,
        0,
        0,
        3,
    )
    assert again == "not queued"
    assert everything() == after_first
    assert stored_dwellings(organisation) == GOOD_DWELLINGS_STORED


@pytest.mark.django_db
def test_dwellings_missing_from_a_later_job_are_listed_and_marked_not_deleted(
    staff_client,
    organisation,
    other_organisation,
    media_root,
    time_machine,
    django_capture_on_commit_callbacks,
):
    # given the good file imported, a dwelling that already left, and B's dwellings
    time_machine.move_to(datetime.datetime(2026, 3, 10, 10, tzinfo=datetime.UTC), tick=False)
    start_job(
        staff_client,
        organisation,
        "dwellings",
        erp_csv(DWELLING_HEADER, GOOD_DWELLINGS),
        django_capture_on_commit_callbacks,
    )
    factories.DwellingFactory(
        organisation=organisation,
        reference="VHE000050",
        in_portfolio_until=datetime.date(2025, 1, 31),
    )
    theirs = factories.DwellingFactory(organisation=other_organisation, reference="VHE000999")

    # when a later file lists only VHE000101
    later = start_job(
        staff_client,
        organisation,
        "dwellings",
        erp_csv(DWELLING_HEADER, GOOD_DWELLINGS[:1]),
        django_capture_on_commit_callbacks,
    )
    url = reverse("admin:portal_importjob_change", args=[later.pk])
    page = staff_client.get(url)

    # then the one it no longer lists is shown (VHE000103 left on 31 December 2024, the file
    # said so), and all are still there
    assert page.context["missing"] == ["VHE000102"]
    assert Dwelling.objects.filter(organisation=organisation).count() == 4

    # when staff mark them
    marked = staff_client.post(url, {"mark_missing": "1"}, follow=True)

    # then it left the portfolio today; the last days set before stay, none was deleted, B's
    # dwelling is untouched
    assert marked.status_code == 200
    until = dict(
        Dwelling.objects.filter(organisation=organisation).values_list(
            "reference", "in_portfolio_until"
        )
    )
    assert until == {
        "VHE000101": None,
        "VHE000102": datetime.date(2026, 3, 10),
        "VHE000103": datetime.date(2024, 12, 31),
        "VHE000050": datetime.date(2025, 1, 31),
    }
    theirs.refresh_from_db()
    assert theirs.in_portfolio_until is None
    assert staff_client.get(url).context["missing"] == []


@pytest.mark.django_db
def test_a_tenancies_job_matches_by_vhe_number(
    staff_client, organisation, media_root, django_capture_on_commit_callbacks
):
    # given
    dwelling = factories.DwellingFactory(organisation=organisation, reference="VHE000101")
    content = erp_csv(TENANCY_HEADER, [["HC0000001", "VHE000101", "01-01-2020", ""]])

    # when
    job = start_job(
        staff_client, organisation, "tenancies", content, django_capture_on_commit_callbacks
    )

    # then
    job.refresh_from_db()
    assert (job.status, job.new_rows) == (ImportStatus.DONE, 1)
    assert list(Tenancy.objects.values_list("contract_number", "dwelling_id")) == [
        ("HC0000001", dwelling.pk)
    ]
    assert (
        staff_client.get(reverse("admin:portal_importjob_change", args=[job.pk])).context["missing"]
        == []
    )


@pytest.mark.django_db
def test_other_associations_staff_cannot_see_a_job(
    staff_client,
    other_staff_client,
    organisation,
    other_organisation,
    media_root,
    django_capture_on_commit_callbacks,
):
    # given a job of A
    job = start_job(
        staff_client,
        organisation,
        "dwellings",
        erp_csv(DWELLING_HEADER, GOOD_DWELLINGS),
        django_capture_on_commit_callbacks,
    )
    url = reverse("admin:portal_importjob_change", args=[job.pk])

    before = everything()

    # when staff of B look for it, and try to mark A's dwellings through it
    opened = other_staff_client.get(url)
    marked = other_staff_client.post(url, {"mark_missing": "1"})
    listed = other_staff_client.get(reverse("admin:portal_importjob_changelist"))
    started = other_staff_client.post(
        reverse("admin:portal_importjob_add"),
        {
            "organisation": organisation.pk,
            "kind": "dwellings",
            "file": SimpleUploadedFile("export.csv", erp_csv(DWELLING_HEADER, GOOD_DWELLINGS)),
            "_save": "Save",
        },
    )

    # then
    assert (opened.status_code, marked.status_code) == (404, 404)
    assert list(listed.context["cl"].result_list) == []
    assert started.status_code == 200
    assert "organisation" in started.context["adminform"].form.errors
    assert ImportJob.objects.count() == 1
    assert everything() == before


@pytest.mark.django_db
def test_a_job_file_stays_with_its_job(organisation, media_root):
    # given a job whose file has only a header
    job = ImportJob.objects.create(
        organisation=organisation,
        kind="dwellings",
        file=ContentFile(";".join(DWELLING_HEADER).encode(), name="leeg.csv"),
    )

    # when
    outcome = import_job_run(job_id=job.pk)

    # then an empty file is done, with nothing written
    job.refresh_from_db()
    assert (outcome, job.status, job.total_rows, job.new_rows) == ("done", ImportStatus.DONE, 0, 0)


@pytest.mark.django_db
def test_a_job_saves_its_progress_after_each_chunk(organisation, media_root, monkeypatch):
    # given a job of three rows, written one row per chunk
    from portal import services

    job = ImportJob.objects.create(
        organisation=organisation,
        kind="dwellings",
        file=ContentFile(erp_csv(DWELLING_HEADER, GOOD_DWELLINGS), name="export.csv"),
    )
    monkeypatch.setattr(services, "IMPORT_CHUNK", 1)
    seen: list[tuple] = []
    chunks = services._chunks

    def watched(dataset, size):
        for start, chunk in chunks(dataset, size):
            seen.append(
                ImportJob.objects.filter(pk=job.pk)
                .values_list("status", "total_rows", "processed_rows")
                .get()
            )
            yield start, chunk

    monkeypatch.setattr(services, "_chunks", watched)

    # when
    import_job_run(job_id=job.pk)

    # then the page could show 0 %, 33 % and 66 % on the way, and 100 % at the end
    assert seen == [("writing", 3, 0), ("writing", 3, 1), ("writing", 3, 2)]
    job.refresh_from_db()
    assert (job.status, job.processed_rows, job.percent) == (ImportStatus.DONE, 3, 100)


@pytest.mark.django_db
def test_staff_mark_dwellings_out_of_the_portfolio_from_the_list(
    staff_client, organisation, other_organisation, time_machine
):
    # given two dwellings of A and one of B
    time_machine.move_to(datetime.datetime(2026, 3, 10, 10, tzinfo=datetime.UTC), tick=False)
    leaving = factories.DwellingFactory(organisation=organisation)
    staying = factories.DwellingFactory(organisation=organisation)
    theirs = factories.DwellingFactory(organisation=other_organisation)

    # when staff of A mark one of theirs and, forged, B's
    response = staff_client.post(
        reverse("admin:portal_dwelling_changelist"),
        {
            "action": "mark_out_of_portfolio",
            "_selected_action": [leaving.pk, theirs.pk],
            "index": 0,
        },
    )

    # then only their own one left the portfolio today; none was deleted
    assert response.status_code == 302
    assert dict(Dwelling.objects.values_list("pk", "in_portfolio_until")) == {
        leaving.pk: datetime.date(2026, 3, 10),
        staying.pk: None,
        theirs.pk: None,
    }
