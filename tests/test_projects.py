"""Planned maintenance and renovation projects: the dwellings, the capacity kept for the
project, the tenant's booking from it (an ordinary order of kind PLN/PRJ with its visit), the
answer instead of a booking, the one reminder, closing, and who sees which project."""

import datetime
import threading

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from contractors.models import Slot
from outbox.models import OutboxMessage
from portal.models import CollectiveObject, Dwelling
from projects import services
from projects.models import (
    DwellingStatus,
    Project,
    ProjectDwelling,
    ProjectScope,
    ProjectSlot,
    ResponseKind,
)
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus, MaintenanceKind, RepairRequest
from repairs.norms import end_of_day
from repairs.services import SlotFull, SlotNotBookable
from surveys.models import SurveyInvitation
from surveys.services import survey_invitations_create

from . import factories
from .queries import queries_of

pytestmark = pytest.mark.django_db


def project_create(chain, *, dwellings: int = 1, **fields) -> Project:
    """A project of the chain's contract over the chain's dwelling and `dwellings - 1`
    neighbours (each with a tenant), its tenants invited."""
    today = timezone.localdate()
    values = {
        "organisation": chain.organisation,
        "name": "Nieuwe kozijnen Kerkstraat",
        "kind": MaintenanceKind.PLANNED,
        "contract": chain.contract,
        "scope": ProjectScope.LIST,
        "starts_on": today,
        "ends_on": today + datetime.timedelta(days=40),
        "visit_minutes": 120,
        "letter": "Wij vervangen de kozijnen.",
        **fields,
    }
    project = Project.objects.create(**values)
    ids = [chain.dwelling.pk]
    for _ in range(dwellings - 1):
        tenancy = factories.TenancyFactory(
            dwelling=factories.DwellingFactory(organisation=chain.organisation),
            tenant=factories.UserFactory(),
        )
        ids.append(tenancy.dwelling_id)
    services.project_dwellings_add(project=project, dwellings=Dwelling.objects.filter(pk__in=ids))
    services.project_invite(project=project)
    return project


def row_of(project: Project, dwelling) -> ProjectDwelling:
    return ProjectDwelling.objects.get(project=project, dwelling=dwelling)


def booked(slot: Slot) -> int:
    slot.refresh_from_db(fields=["booked"])
    return slot.booked


# -- capacity ------------------------------------------------------------------------------


def test_reserving_takes_the_places_from_the_slot(now, chain):
    # given a daypart of the contractor with room for 5 visits
    project = project_create(chain)
    slot = chain.slot(days=3, capacity=5)

    # when 3 are reserved for the project
    reservation = services.project_capacity_reserve(project=project, slot=slot, visits=3)

    # then the slot counts them as booked, so repairs cannot take them
    assert (reservation.reserved, reservation.used) == (3, 0)
    assert booked(slot) == 3


def test_reserving_more_than_is_free_is_refused_and_changes_nothing(now, chain):
    # given a daypart with 2 of 3 places free
    project = project_create(chain)
    slot = chain.slot(days=3, capacity=3, booked=1)

    # when 3 are asked for
    with translation.override("en"), pytest.raises(SlotFull) as refusal:
        services.project_capacity_reserve(project=project, slot=slot, visits=3)

    # then
    assert refusal.value.message == "This daypart has fewer than 3 free places."
    assert booked(slot) == 1
    assert not ProjectSlot.objects.exists()


def test_a_daypart_outside_the_period_or_of_another_contractor_is_refused(now, chain, other_chain):
    project = project_create(chain, ends_on=timezone.localdate() + datetime.timedelta(days=5))
    late = chain.slot(days=6, capacity=2)
    foreign = other_chain.slot(days=3, capacity=2)

    with translation.override("en"), pytest.raises(SlotNotBookable) as outside:
        services.project_capacity_reserve(project=project, slot=late, visits=1)
    with pytest.raises(SlotNotBookable):
        services.project_capacity_reserve(project=project, slot=foreign, visits=1)

    assert outside.value.message == "This daypart is outside the project's period."
    assert booked(late) == 0
    assert booked(foreign) == 0


def test_reserving_the_free_capacity_keeps_as_many_places_as_dwellings(now, chain):
    # given 3 dwellings and two dayparts with 4 free places each
    project = project_create(chain, dwellings=3)
    first = chain.slot(days=2, capacity=4)
    second = chain.slot(days=3, capacity=4)

    # when
    reserved = services.project_capacity_reserve_free(project=project)

    # then 3 places are kept: 2 of the first daypart, 1 of the second; half of each daypart
    # stays free for repairs
    assert reserved == 3
    assert (booked(first), booked(second)) == (2, 1)
    assert services.project_capacity_reserve_free(project=project) == 0


def test_reserving_the_free_capacity_leaves_half_of_each_daypart_for_repairs(now, chain):
    # given 10 dwellings, a daypart of 3 places with one repair booked and one of a single place
    project = project_create(chain, dwellings=10)
    three = chain.slot(days=2, capacity=3)
    Slot.objects.filter(pk=three.pk).update(booked=1)
    single = chain.slot(days=3, capacity=1)
    four = chain.slot(days=4, capacity=4)

    # when the project keeps what it may
    reserved = services.project_capacity_reserve_free(project=project)

    # then two places of each daypart (rounded up from half) stay free or booked for repairs
    assert reserved == 0 + 0 + 2
    assert (booked(three), booked(single), booked(four)) == (1, 0, 2)


def test_closing_gives_the_unused_places_back_once(now, chain):
    project = project_create(chain)
    slot = chain.slot(days=3, capacity=4)
    reservation = services.project_capacity_reserve(project=project, slot=slot, visits=3)
    services.project_visit_book(
        row=row_of(project, chain.dwelling), reservation_id=reservation.pk, actor=chain.tenant
    )

    released = services.project_close(project=project)

    assert released == 2
    assert booked(slot) == 1  # the tenant's visit stays
    assert services.project_close(project=project) == 0
    assert booked(slot) == 1


def test_projects_past_their_last_day_are_closed_by_the_periodic_task(now, chain, time_machine):
    project = project_create(chain, ends_on=timezone.localdate() + datetime.timedelta(days=5))
    slot = chain.slot(days=3, capacity=2)
    services.project_capacity_reserve(project=project, slot=slot, visits=2)

    time_machine.move_to(now + datetime.timedelta(days=7))
    from projects.tasks import projects_run

    result = projects_run()

    assert result["released"] == 2
    assert booked(slot) == 0
    project.refresh_from_db()
    assert project.closed_at is not None


# -- the tenant's booking ------------------------------------------------------------------


def test_booking_turns_a_reserved_place_into_an_ordinary_planned_order(now, chain):
    # given a reservation of 2 places
    project = project_create(chain)
    slot = chain.slot(days=3, capacity=5)
    reservation = services.project_capacity_reserve(project=project, slot=slot, visits=2)

    # when the tenant books
    repair_request = services.project_visit_book(
        row=row_of(project, chain.dwelling), reservation_id=reservation.pk, actor=chain.tenant
    )

    # then an order of planned work, routed to the project's contract, scheduled in the slot
    repair_request.refresh_from_db()
    assert repair_request.maintenance_kind == MaintenanceKind.PLANNED
    assert repair_request.status == Status.SCHEDULED
    assert repair_request.contract_id == chain.contract.pk
    assert repair_request.contractor_id == chain.contractor.pk
    assert repair_request.channel == "portal"
    assert repair_request.repeat_of_id is None
    assert repair_request.visit_due_at is None
    assert repair_request.complete_due_at == end_of_day(project.ends_on)
    assert repair_request.category.name_nl == "Gepland onderhoud"
    assert repair_request.category.is_active is False
    visit = Appointment.objects.get(request=repair_request)
    assert (visit.slot_id, visit.status) == (slot.pk, AppointmentStatus.PLANNED)
    # the reserved place became the visit: the slot's count does not change
    assert booked(slot) == 2
    reservation.refresh_from_db()
    assert (reservation.reserved, reservation.used) == (2, 1)
    row = row_of(project, chain.dwelling)
    assert (row.status, row.request_id) == (DwellingStatus.BOOKED, repair_request.pk)
    keys = set(OutboxMessage.objects.values_list("key", flat=True))
    assert f"appointment-confirmation-{visit.pk}" in keys
    assert f"contractor-booked-{visit.pk}" in keys


def test_a_dwelling_books_one_visit_only(now, chain):
    project = project_create(chain)
    reservation = services.project_capacity_reserve(
        project=project, slot=chain.slot(days=3, capacity=5), visits=2
    )
    row = row_of(project, chain.dwelling)
    services.project_visit_book(row=row, reservation_id=reservation.pk, actor=chain.tenant)

    with translation.override("en"), pytest.raises(services.AlreadyAnswered):
        services.project_visit_book(row=row, reservation_id=reservation.pk, actor=chain.tenant)

    assert RepairRequest.objects.count() == 1
    reservation.refresh_from_db()
    assert reservation.used == 1


def test_a_used_up_reservation_or_a_daypart_today_is_refused(now, chain):
    project = project_create(chain, dwellings=2)
    other = ProjectDwelling.objects.exclude(dwelling=chain.dwelling).get()
    full = services.project_capacity_reserve(
        project=project, slot=chain.slot(days=3, capacity=1), visits=1
    )
    services.project_visit_book(row=other, reservation_id=full.pk, actor=None)
    today = services.project_capacity_reserve(
        project=project, slot=chain.slot(days=0, capacity=1), visits=1
    )

    with translation.override("en"):
        with pytest.raises(SlotFull) as taken:
            services.project_visit_book(
                row=row_of(project, chain.dwelling), reservation_id=full.pk, actor=chain.tenant
            )
        with pytest.raises(SlotNotBookable) as passed:
            services.project_visit_book(
                row=row_of(project, chain.dwelling), reservation_id=today.pk, actor=chain.tenant
            )

    assert taken.value.message.startswith("Sorry, this time was just taken")
    assert passed.value.message == "This time has passed. Choose another time."
    assert row_of(project, chain.dwelling).status == DwellingStatus.INVITED
    assert RepairRequest.objects.count() == 1


def test_two_tenants_for_the_last_reserved_place_one_wins(postgres_only, transactional_db, chain):
    # given a project of 2 dwellings and one reserved place left
    project = project_create(chain, dwellings=2)
    slot = chain.slot(days=3, capacity=3)
    reservation = services.project_capacity_reserve(project=project, slot=slot, visits=1)
    rows = list(ProjectDwelling.objects.filter(project=project).order_by("pk"))
    barrier = threading.Barrier(len(rows))
    outcomes: list[object] = [None] * len(rows)

    def book(index: int) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=30)
            with translation.override("en"):
                outcomes[index] = services.project_visit_book(
                    row=rows[index], reservation_id=reservation.pk, actor=None
                )
        except Exception as error:
            outcomes[index] = error
        finally:
            connection.close()

    # when both book at the same moment
    threads = [threading.Thread(target=book, args=(index,)) for index in range(len(rows))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then one has the visit, the other was told the time was taken
    won = [outcome for outcome in outcomes if isinstance(outcome, RepairRequest)]
    lost = [outcome for outcome in outcomes if isinstance(outcome, SlotFull)]
    assert (len(won), len(lost)) == (1, 1), [repr(outcome) for outcome in outcomes]
    assert Appointment.objects.count() == 1
    assert RepairRequest.objects.count() == 1
    reservation.refresh_from_db()
    assert (reservation.reserved, reservation.used) == (1, 1)
    assert booked(slot) == 1


# -- the tenant's answer -------------------------------------------------------------------


def test_an_objection_is_kept_for_staff_and_ends_the_invitation(now, chain):
    project = project_create(chain)
    row = services.project_respond(
        row=row_of(project, chain.dwelling),
        kind=ResponseKind.OBJECTION,
        text="  Mijn kozijnen zijn vorig jaar al vervangen.  ",
        actor=chain.tenant,
    )
    assert row.status == DwellingStatus.OBJECTED
    assert row.response_text == "Mijn kozijnen zijn vorig jaar al vervangen."
    assert row.responded_at is not None
    with translation.override("en"), pytest.raises(services.AlreadyAnswered):
        services.project_visit_book(row=row, reservation_id=0, actor=chain.tenant)


def test_a_question_keeps_the_booking_open(now, chain):
    project = project_create(chain)
    row = services.project_respond(
        row=row_of(project, chain.dwelling),
        kind=ResponseKind.QUESTION,
        text="Moet ik thuis zijn?",
        actor=chain.tenant,
    )
    assert (row.status, row.response_kind) == (DwellingStatus.INVITED, ResponseKind.QUESTION)


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        ("", "Waarom?", "Choose whether you have a question or an objection."),
        ("objection", "   ", "Write your question or objection, so that we can answer it."),
    ],
)
def test_an_answer_without_a_kind_or_text_is_refused(now, chain, kind, text, message):
    project = project_create(chain)
    with translation.override("en"), pytest.raises(services.ApplicationError) as refusal:
        services.project_respond(
            row=row_of(project, chain.dwelling), kind=kind, text=text, actor=chain.tenant
        )
    assert refusal.value.message == message
    assert row_of(project, chain.dwelling).responded_at is None


# -- the dwellings -------------------------------------------------------------------------


def test_a_street_range_takes_the_dwellings_in_the_range(now, chain):
    inside = [
        factories.DwellingFactory(
            organisation=chain.organisation, street="Dorpsstraat", postcode="5612AA", house_number=n
        )
        for n in (2, 4, 6)
    ]
    factories.DwellingFactory(
        organisation=chain.organisation, street="Dorpsstraat", postcode="5612AA", house_number=8
    )
    project = Project.objects.create(
        organisation=chain.organisation,
        name="Dakisolatie",
        contract=chain.contract,
        scope=ProjectScope.STREET,
        street="dorpsstraat",
        postcode="5612AA",
        house_number_from=2,
        house_number_to=6,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        letter="Brief",
    )

    assert services.project_dwellings_add(project=project) == 3
    assert services.project_dwellings_add(project=project) == 0
    assert set(project.dwellings.values_list("dwelling_id", flat=True)) == {d.pk for d in inside}


def test_a_complex_takes_the_dwellings_of_its_common_areas(now, chain):
    inside = factories.DwellingFactory(
        organisation=chain.organisation, postcode="5613BB", house_number=3
    )
    factories.DwellingFactory(organisation=chain.organisation, postcode="5613BB", house_number=30)
    CollectiveObject.objects.create(
        organisation=chain.organisation,
        kind="TRP",
        name="Trappenhuis A",
        complex_code="CPX-12",
        postcode="5613BB",
        house_number_from=1,
        house_number_to=10,
    )
    project = Project.objects.create(
        organisation=chain.organisation,
        name="Trappenhuizen schilderen",
        contract=chain.contract,
        scope=ProjectScope.COMPLEX,
        complex_code="CPX-12",
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        letter="Brief",
    )

    assert services.project_dwellings_add(project=project) == 1
    assert project.dwellings.get().dwelling_id == inside.pk


def test_an_uploaded_list_adds_by_vhe_number_or_address_and_reports_the_rest(now, chain):
    by_number = factories.DwellingFactory(organisation=chain.organisation, reference="VHE-77")
    by_address = factories.DwellingFactory(
        organisation=chain.organisation, postcode="5614CC", house_number=12, house_number_suffix="A"
    )
    project = Project.objects.create(
        organisation=chain.organisation,
        name="Lijst",
        contract=chain.contract,
        starts_on=timezone.localdate(),
        ends_on=timezone.localdate(),
        letter="Brief",
    )
    content = b"postcode;huisnummer\n5614 cc;12a\n5614CC;99\n"

    with translation.override("en"):
        by_address_result = services.project_dwellings_from_csv(project=project, content=content)
        by_number_result = services.project_dwellings_from_csv(
            project=project, content=b"VHE-77\nVHE-404\n"
        )

    assert by_address_result.added == 1
    assert by_address_result.errors == ["Line 3: no dwelling at this address."]
    assert by_number_result.added == 1
    assert by_number_result.errors == ["Line 2: no dwelling with VHE number VHE-404."]
    assert set(project.dwellings.values_list("dwelling_id", flat=True)) == {
        by_number.pk,
        by_address.pk,
    }


# -- mails ---------------------------------------------------------------------------------


def test_invited_tenants_get_the_letter_by_mail(now, chain, mailoutbox):
    from outbox.services import outbox_send_due

    project = project_create(chain)
    outbox_send_due()

    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == ["huurder@example.nl"]
    assert mail.subject == "Nieuwe kozijnen Kerkstraat: choose a time for the visit"
    assert "Wij vervangen de kozijnen." in mail.body
    assert reverse("project_page", args=[project.pk]) in mail.body
    assert services.project_invite(project=project) == 0


def test_the_reminder_goes_once_a_week_after_the_invitation_to_who_has_not_answered(
    chain, time_machine, mailoutbox
):
    from outbox.services import outbox_send_due

    # given 3 invited tenants; one books, one objects
    start = datetime.datetime(2026, 3, 10, 9, 0, tzinfo=datetime.UTC)
    time_machine.move_to(start, tick=False)
    project = project_create(chain, dwellings=3)
    rows = list(ProjectDwelling.objects.filter(project=project).order_by("pk"))
    reservation = services.project_capacity_reserve(
        project=project, slot=chain.slot(days=3, capacity=2), visits=1
    )
    services.project_visit_book(row=rows[1], reservation_id=reservation.pk, actor=None)
    services.project_respond(row=rows[2], kind="objection", text="Nee", actor=None)
    outbox_send_due()
    mailoutbox.clear()

    # when the task runs 6 days later, a week later, and again
    time_machine.move_to(start + datetime.timedelta(days=6))
    assert services.project_reminders_send() == 0
    time_machine.move_to(start + datetime.timedelta(days=7, minutes=1))
    sent = services.project_reminders_send()
    again = services.project_reminders_send()

    # then one reminder, to the tenant who did neither
    assert (sent, again) == (1, 0)
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject.startswith("Reminder: choose a time for")
    reminded = ProjectDwelling.objects.filter(reminded_at__isnull=False)
    assert list(reminded.values_list("pk", flat=True)) == [rows[0].pk]


# -- the lower apps: no norm, no repeat, no survey ----------------------------------------


def test_a_completed_project_visit_gets_no_repair_survey_and_is_marked_done(now, chain):
    project = project_create(chain)
    reservation = services.project_capacity_reserve(
        project=project, slot=chain.slot(days=3, capacity=2), visits=1
    )
    repair_request = services.project_visit_book(
        row=row_of(project, chain.dwelling), reservation_id=reservation.pk, actor=chain.tenant
    )
    RepairRequest.objects.filter(pk=repair_request.pk).update(
        status=Status.COMPLETED, completed_at=timezone.now()
    )

    assert survey_invitations_create(now=timezone.now()) == 0
    assert not SurveyInvitation.objects.exists()
    assert services.project_progress_sync() == 1
    assert row_of(project, chain.dwelling).status == DwellingStatus.DONE
    progress = Project.objects.with_progress().get(pk=project.pk)
    assert (progress.invited_count, progress.done_count, progress.no_answer_count) == (1, 1, 0)


# -- who sees what -------------------------------------------------------------------------


def test_the_tenant_opens_the_page_of_a_project_of_their_home(now, chain, tenant_client):
    project = project_create(chain)
    response = tenant_client.get(reverse("project_page", args=[project.pk]))
    assert response.status_code == 200
    assert "Nieuwe kozijnen Kerkstraat" in response.text


def test_a_tenant_of_another_home_gets_404(now, chain, other_chain, english_client):
    project = project_create(chain)
    client = english_client(other_chain.tenant)
    for name in ("project_page", "project_respond"):
        assert client.get(reverse(name, args=[project.pk])).status_code == 404
    response = client.post(reverse("project_page", args=[project.pk]), {"reservation": 1})
    assert response.status_code == 404
    assert RepairRequest.objects.count() == 0


def test_a_neighbour_not_in_the_project_gets_404(now, chain, english_client):
    project = project_create(chain)
    neighbour = factories.TenancyFactory(
        dwelling=factories.DwellingFactory(organisation=chain.organisation),
        tenant=factories.UserFactory(),
    )
    client = english_client(neighbour.tenant)
    assert client.get(reverse("project_page", args=[project.pk])).status_code == 404


def test_staff_and_contractors_are_not_tenants_of_a_project(
    now, chain, staff_user, planner, english_client
):
    project = project_create(chain)
    for user in (staff_user, planner):
        response = english_client(user).get(reverse("project_page", args=[project.pk]))
        assert response.status_code == 404


def test_a_contractor_sees_only_its_own_projects(now, chain, other_chain, planner, english_client):
    own = project_create(chain)
    other = project_create(other_chain, name="Andere aannemer")
    client = english_client(planner)

    listing = client.get(reverse("contractor_projects"))
    assert listing.status_code == 200
    assert own.name in listing.text
    assert other.name not in listing.text
    assert client.get(reverse("contractor_project", args=[own.pk])).status_code == 200
    assert client.get(reverse("contractor_project", args=[other.pk])).status_code == 404


def test_tenants_and_anonymous_visitors_do_not_open_contractor_project_pages(
    now, chain, english_client
):
    project = project_create(chain)
    url = reverse("contractor_project", args=[project.pk])
    assert english_client(chain.tenant).get(url).status_code == 404
    assert english_client().get(url).status_code == 302


def test_staff_see_only_their_associations_projects(
    now, chain, other_chain, staff_user, other_staff_user, english_client
):
    project = project_create(chain)
    own = english_client(staff_user)
    other = english_client(other_staff_user)
    change = reverse("admin:projects_project_change", args=[project.pk])
    rows = reverse("admin:projects_projectdwelling_changelist")

    assert own.get(change).status_code == 200
    assert other.get(change).status_code == 404
    assert project.name in own.get(reverse("admin:projects_project_changelist")).text
    assert project.name not in other.get(reverse("admin:projects_project_changelist")).text
    assert chain.dwelling.street in own.get(rows).text
    assert "0 project dwellings" in other.get(rows).text or chain.dwelling.reference not in (
        other.get(rows).text
    )


# -- pages ---------------------------------------------------------------------------------


def test_the_tenant_books_on_the_page_and_reads_what_happens_next(now, chain, tenant_client):
    project = project_create(chain)
    reservation = services.project_capacity_reserve(
        project=project, slot=chain.slot(days=3, capacity=2), visits=1
    )
    url = reverse("project_page", args=[project.pk])

    response = tenant_client.post(url, {"reservation": reservation.pk}, follow=True)

    assert response.status_code == 200
    assert "Your visit is booked" in response.text
    assert "What happens next" in response.text
    assert row_of(project, chain.dwelling).status == DwellingStatus.BOOKED


def test_the_booking_form_says_what_is_wrong(now, chain, tenant_client):
    project = project_create(chain)
    url = reverse("project_page", args=[project.pk])

    empty = tenant_client.post(url, {})
    unknown = tenant_client.post(url, {"reservation": 999999})

    assert empty.status_code == 422
    assert "Choose a time for the visit." in empty.text
    assert unknown.status_code == 422
    assert "This time is no longer available. Choose another time." in unknown.text
    assert RepairRequest.objects.count() == 0


def test_the_tenant_sends_an_objection_on_the_page(now, chain, tenant_client):
    project = project_create(chain)
    url = reverse("project_respond", args=[project.pk])

    refused = tenant_client.post(url, {"kind": "objection", "text": ""})
    response = tenant_client.post(
        url, {"kind": "objection", "text": "Ik wil dit niet."}, follow=True
    )

    assert refused.status_code == 422
    assert "Write your question or objection" in refused.text
    assert "We have received your objection" in response.text
    assert row_of(project, chain.dwelling).status == DwellingStatus.OBJECTED


# -- query counts --------------------------------------------------------------------------


def _grow(project: Project, chain, count: int) -> None:
    """Add dwellings to `count`, every other one booked in a reserved daypart."""
    slot = chain.slot(days=4, capacity=60)
    reservation = services.project_capacity_reserve(project=project, slot=slot, visits=30)
    while project.dwellings.count() < count:
        tenancy = factories.TenancyFactory(
            dwelling=factories.DwellingFactory(organisation=chain.organisation),
            tenant=factories.UserFactory(),
        )
        services.project_dwellings_add(
            project=project, dwellings=Dwelling.objects.filter(pk=tenancy.dwelling_id)
        )
        services.project_invite(project=project)
        if project.dwellings.count() % 2 == 0:
            services.project_visit_book(
                row=row_of(project, tenancy.dwelling), reservation_id=reservation.pk, actor=None
            )


@pytest.mark.parametrize(
    "page",
    ["tenant", "contractor_list", "contractor_project", "staff_rows", "staff_projects"],
)
def test_project_pages_ask_the_same_with_1_and_50_dwellings(
    now, chain, planner, staff_user, english_client, page
):
    project = project_create(chain)
    reservation = services.project_capacity_reserve(
        project=project, slot=chain.slot(days=3, capacity=5), visits=2
    )
    if page != "tenant":
        # the lists show a booked dwelling's order and visit from the first row on
        services.project_visit_book(
            row=row_of(project, chain.dwelling), reservation_id=reservation.pk, actor=None
        )
    client, url = {
        "tenant": (chain.tenant, reverse("project_page", args=[project.pk])),
        "contractor_list": (planner, reverse("contractor_projects")),
        "contractor_project": (planner, reverse("contractor_project", args=[project.pk])),
        "staff_rows": (
            staff_user,
            reverse("admin:projects_projectdwelling_changelist")
            + f"?project__id__exact={project.pk}",
        ),
        "staff_projects": (staff_user, reverse("admin:projects_project_changelist")),
    }[page]
    client = english_client(client)
    client.get(url)
    one = queries_of(client, url)

    _grow(project, chain, 50)
    fifty = queries_of(client, url)

    assert len(fifty) == len(one), "\n".join(fifty)


def test_the_tenant_gets_the_usual_confirmation_with_the_calendar_invitation(
    now, chain, mailoutbox
):
    from outbox.services import outbox_send_due

    project = project_create(chain)
    reservation = services.project_capacity_reserve(
        project=project, slot=chain.slot(days=3, capacity=2), visits=1
    )
    outbox_send_due()
    mailoutbox.clear()

    repair_request = services.project_visit_book(
        row=row_of(project, chain.dwelling), reservation_id=reservation.pk, actor=chain.tenant
    )
    outbox_send_due()

    confirmation = next(m for m in mailoutbox if m.to == ["huurder@example.nl"])
    assert confirmation.subject == (
        f"Appointment for Nieuwe kozijnen Kerkstraat ({repair_request.reference})"
    )
    assert (
        f"You booked the visit for Nieuwe kozijnen Kerkstraat ({repair_request.reference})."
        in confirmation.body
    )
    assert confirmation.attachments[0][0] == f"afspraak-{repair_request.reference}.ics"


# -- the staff's admin ---------------------------------------------------------------------


def test_staff_make_a_project_with_a_list_then_reserve_and_invite_with_the_actions(
    now, chain, staff_user, english_client
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    # given a neighbour of the chain's tenant, and a daypart with room
    neighbour = factories.TenancyFactory(
        dwelling=factories.DwellingFactory(organisation=chain.organisation, reference="VHE-9"),
        tenant=factories.UserFactory(),
    )
    slot = chain.slot(days=3, capacity=5)
    client = english_client(staff_user)
    today = timezone.localdate()

    # when staff add a project with an uploaded list
    response = client.post(
        reverse("admin:projects_project_add"),
        {
            "organisation": chain.organisation.pk,
            "name": "Dakgoten",
            "kind": "PLN",
            "contract": chain.contract.pk,
            "scope": "list",
            "starts_on": today.isoformat(),
            "ends_on": (today + datetime.timedelta(days=20)).isoformat(),
            "visit_minutes": 60,
            "letter": "Wij vervangen de dakgoten.",
            "dwelling_file": SimpleUploadedFile(
                "woningen.csv", f"{chain.dwelling.reference}\nVHE-9\n".encode()
            ),
            "slots-TOTAL_FORMS": 0,
            "slots-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    project = Project.objects.get(name="Dakgoten")
    assert project.contractor_id == chain.contractor.pk
    assert set(project.dwellings.values_list("dwelling_id", flat=True)) == {
        chain.dwelling.pk,
        neighbour.dwelling_id,
    }

    # and run the actions: reserve the free capacity, invite
    changelist = reverse("admin:projects_project_changelist")
    for action in ("reserve_capacity", "invite_tenants"):
        done = client.post(changelist, {"action": action, "_selected_action": [project.pk]})
        assert done.status_code == 302

    # then two places are kept and both tenants are invited
    assert booked(slot) == 2
    assert project.dwellings.filter(invited_at__isnull=False).count() == 2
    listed = client.get(changelist).content.decode()
    assert "Dakgoten" in listed


def test_a_list_project_without_a_file_is_refused_next_to_the_field(
    now, chain, staff_user, english_client
):
    response = english_client(staff_user).post(
        reverse("admin:projects_project_add"),
        {
            "organisation": chain.organisation.pk,
            "name": "Zonder lijst",
            "kind": "PLN",
            "contract": chain.contract.pk,
            "scope": "list",
            "starts_on": "2026-03-20",
            "ends_on": "2026-03-10",
            "visit_minutes": 60,
            "letter": "Brief",
            "slots-TOTAL_FORMS": 0,
            "slots-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert errors["dwelling_file"] == ["Upload the list of dwellings."]
    assert "The last day must not be before the first." in str(errors)
    assert not Project.objects.filter(name="Zonder lijst").exists()


def test_after_the_visit_is_cancelled_the_tenant_books_again_for_the_same_order(now, chain):
    from repairs.services.appointments import appointment_cancel

    # given a booked project visit that the tenant cancels on the repair's page
    project = project_create(chain)
    reservation = services.project_capacity_reserve(
        project=project, slot=chain.slot(days=3, capacity=4), visits=2
    )
    order = services.project_visit_book(
        row=row_of(project, chain.dwelling), reservation_id=reservation.pk, actor=chain.tenant
    )
    appointment_cancel(repair_request=order, actor=chain.tenant)

    # when the periodic task runs and the tenant books again
    assert services.project_progress_sync() == 1
    assert row_of(project, chain.dwelling).status == DwellingStatus.INVITED
    again = services.project_visit_book(
        row=row_of(project, chain.dwelling), reservation_id=reservation.pk, actor=chain.tenant
    )

    # then the same order has its new visit; no second order
    assert again.pk == order.pk
    assert RepairRequest.objects.count() == 1
    assert list(Appointment.objects.order_by("pk").values_list("status", flat=True)) == [
        AppointmentStatus.CANCELLED,
        AppointmentStatus.PLANNED,
    ]
    assert row_of(project, chain.dwelling).status == DwellingStatus.BOOKED
