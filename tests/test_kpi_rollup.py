"""The monthly KPI rollup (surveys.rollup, read by surveys.kpis.kpi_rollup_rows): on the
hand-computed world of tests/test_kpis.py it holds exactly the live figures; the periodic
refresh keeps the recent months and every month a survey change marks; refreshing is
idempotent, also when two runs meet (PostgreSQL)."""

import dataclasses
import datetime
import io
import threading
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from portal.scoping import ALL_ASSOCIATIONS
from repairs.lifecycle import Status
from surveys import rollup, services, tasks
from surveys.kpis import kpi_rollup_rows, kpi_rows
from surveys.models import KpiMonth, KpiMonthStale, SurveyInvitation

from . import factories
from .test_kpis import (
    ANSWERED,
    EXPECTED,
    EXPECTED_THEIRS,
    FEB,
    FIXED,
    JAN,
    NO_ACCESS,
    PENDING,
    PLANNED,
    SENT,
    TODAY,
    A,
    M,
    at,
    d,
    figures,
    kpi_world_create,
    repair,
    table,
)
from .test_survey_invitations import run_concurrently

DEC = datetime.date(2025, 12, 1)
MAR = datetime.date(2026, 3, 1)


def same_rows(**scope) -> tuple[list, list]:
    """The live table and the rollup's for one scope, as the pages show them."""
    live = kpi_rows(**scope)
    stored = kpi_rollup_rows(**scope)
    shown = [(row.contractor_id, row.area_id, figures(row)) for row in live]
    return shown, [(row.contractor_id, row.area_id, figures(row)) for row in stored]


def stored_rows() -> list[tuple]:
    return sorted(
        KpiMonth.objects.values_list(
            "organisation_id",
            "contract_id",
            "contractor_id",
            "area_id",
            "month",
            "completed",
            "first_time_fixes",
            "lead_times",
            "lead_median_seconds",
            "lead_p90_seconds",
            "emergencies",
            "emergencies_within_24h",
            "invitations_sent",
            "responses",
            "grade_sum",
            "grades_8_plus",
            "grades_5_or_lower",
            "visits_due",
            "visits_kept",
            "no_access_visits",
        )
    )


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(TODAY, tick=False)
    return time_machine


@pytest.fixture
def world(db, clock, organisation, other_organisation):
    return kpi_world_create(organisation, other_organisation)


@pytest.fixture
def rebuilt(world):
    rollup.kpi_rollup_rebuild()
    return world


# -- the rollup holds the live figures -----------------------------------------------------


def test_the_rollup_holds_the_hand_computed_figures(rebuilt, organisation):
    # given the world, its rollup computed

    # when
    rows = kpi_rollup_rows(organisation_ids=[organisation.pk], start=JAN, end=FEB)

    # then
    assert table(rows) == EXPECTED
    assert [(row.month, row.contractor_id, row.area_id) for row in rows] == [
        (JAN, rebuilt.a.contractor.pk, rebuilt.a.area.pk),
        (JAN, rebuilt.b.contractor.pk, rebuilt.b.area.pk),
        (FEB, rebuilt.a.contractor.pk, rebuilt.a.area.pk),
        (FEB, rebuilt.b.contractor.pk, rebuilt.b.area.pk),
    ]
    # one row per association, contract and month: December, January (3), February (2)
    assert KpiMonth.objects.count() == 6


@pytest.mark.parametrize(
    "scope",
    ["association", "other association", "every association", "contractor", "area", "nobody"],
)
def test_the_rollup_equals_the_live_computation(rebuilt, organisation, other_organisation, scope):
    # given
    scopes = {
        "association": {"organisation_ids": [organisation.pk]},
        "other association": {"organisation_ids": [other_organisation.pk]},
        "every association": {"organisation_ids": ALL_ASSOCIATIONS},
        "contractor": {
            "organisation_ids": ALL_ASSOCIATIONS,
            "contractor_id": rebuilt.a.contractor.pk,
        },
        "area": {"organisation_ids": [organisation.pk], "area_id": rebuilt.b.area.pk},
        "nobody": {"organisation_ids": []},
    }

    # when
    live, stored = same_rows(start=DEC, end=MAR, **scopes[scope])

    # then
    assert stored == live
    if scope == "other association":
        assert [row for _c, _a, row in stored] == [
            {"month": JAN, "contractor": "Aalbers Onderhoud", "area": "Dommeldal"} | EXPECTED_THEIRS
        ]


@pytest.fixture
def renewed(world):
    """Contractor A's contract for Noord ends on 19 January and a new one starts on the 20th;
    a repair of 100 hours under the new contract is completed in January."""
    world.a.contract.valid_until = d(1, 19)
    world.a.contract.save(update_fields=["valid_until"])
    contract = factories.ContractFactory(
        area=world.a.area, contractor=world.a.contractor, valid_from=d(1, 20)
    )
    side = dataclasses.replace(world.a, contract=contract, requests={})
    repair(side, "a9", reported=at(1, 24, 8), completed=at(1, 28, 12), ftf=True,
           visits=[(d(1, 28), M, "done", FIXED, at(1, 28, 12))],
           survey=ANSWERED, grade=7)  # fmt: skip
    rollup.kpi_rollup_rebuild()
    return world


def test_a_contract_renewed_within_a_month_is_one_row_with_exact_percentiles(renewed, organisation):
    # given two stored rows for A in Noord in January, one per contract
    assert KpiMonth.objects.filter(month=JAN, area=renewed.a.area).count() == 2

    # when
    live, stored = same_rows(organisation_ids=[organisation.pk], start=JAN, end=JAN)

    # then they make one row: 4 repairs, lead times [4, 48, 72, 100] h, grades 9, 4, 7
    assert stored == live
    noord = stored[0][2]
    assert (noord["completed"], noord["lead_median_h"], noord["lead_p90_h"]) == (4, 60.0, 91.6)
    assert (noord["responses"], noord["mean_grade"]) == (3, Decimal("6.67"))


# -- keeping it current --------------------------------------------------------------------


def test_the_periodic_refresh_computes_the_current_and_the_previous_month(rebuilt, organisation):
    # given, after the rollup was computed: a repair completed this morning (March), and a
    # January visit of A that is recorded only now, long after its day
    repair(rebuilt.b, "b7", reported=at(3, 9, 9), completed=at(3, 10, 9), ftf=True,
           visits=[(d(3, 10), M, "done", FIXED, at(3, 10, 9))])  # fmt: skip
    repair(rebuilt.a, "late", reported=at(1, 29, 9), status=Status.FOLLOW_UP,
           visits=[(d(1, 30), M, "done", NO_ACCESS, at(3, 10, 9))])  # fmt: skip
    scope = {"organisation_ids": [organisation.pk], "start": JAN, "end": MAR}

    # when the ten-minute run and then the nightly run (13 months) go
    ten_minutes = tasks.kpi_rollup_refresh.delay().get()
    after_ten_minutes = kpi_rollup_rows(**scope)
    nightly = tasks.kpi_rollup_refresh.delay(13).get()

    # then March is there at once; January waits for the night
    assert ten_minutes == {"months": 2, "rows": 3}
    march = [row for row in after_ten_minutes if row.month == MAR]
    assert [(row.contractor, row.completed, row.lead_median_hours) for row in march] == [
        ("Bakker Installatietechniek", 1, 24.0)
    ]
    (noord,) = [r for r in after_ten_minutes if r.month == JAN and r.area == "Noord"]
    assert (noord.visits_due, noord.no_access_visits) == (7, 1)
    assert nightly == {"months": 13, "rows": 7}
    live, stored = same_rows(**scope)
    assert stored == live
    (noord,) = [r for _c, _a, r in stored if r["month"] == JAN and r["area"] == "Noord"]
    assert (noord["visits_due"], noord["no_access_visits"]) == (8, 2)


def old_invitation(world, *, status: str, sent: datetime.datetime | None) -> SurveyInvitation:
    """A repair of A completed on 20 December, whose survey (the association waits long)
    is due or sent in late February, so it is still open today."""
    repair_request = repair(world.a, "december", reported=at(12, 18, 9, year=2025),
                            completed=at(12, 20, 9, year=2025), ftf=True)  # fmt: skip
    return SurveyInvitation.objects.create(
        organisation=world.a.organisation,
        request=repair_request,
        contractor=world.a.contractor,
        area=world.a.area,
        email=world.a.tenant.email,
        language="en",
        status=status,
        due_at=at(2, 25, 9),
        sent_at=sent,
        expires_at=sent and sent + datetime.timedelta(days=14),
    )


def test_an_answer_marks_the_month_its_repair_was_completed(rebuilt, organisation):
    # given an invitation sent in February for a repair completed in December
    invitation = old_invitation(rebuilt, status=SENT, sent=at(2, 25, 9))
    rollup.kpi_rollup_rebuild()
    scope = {"organisation_ids": [organisation.pk], "start": DEC, "end": DEC}
    (before,) = kpi_rollup_rows(**scope)

    # when the tenant answers today, and the ten-minute run goes
    services.survey_answer(
        token=invitation.token,
        overall_grade=2,
        fixed_first_time=False,
        on_time=True,
        craftsman_grade=None,
        comment="",
        may_contact=False,
    )
    marked = list(KpiMonthStale.objects.values_list("organisation_id", "month"))
    result = tasks.kpi_rollup_refresh.delay().get()

    # then December was marked, computed again (with February and March), and unmarked
    assert marked == [(organisation.pk, DEC)]
    assert result["months"] == 3
    assert not KpiMonthStale.objects.exists()
    (after,) = kpi_rollup_rows(**scope)
    assert (before.responses, before.invitations_sent, before.mean_grade) == (1, 2, 10.0)
    assert (after.responses, after.invitations_sent, after.mean_grade) == (2, 2, 6.0)
    live, stored = same_rows(**scope)
    assert stored == live


def test_sending_an_invitation_marks_the_month_its_repair_was_completed(
    rebuilt, organisation, mailoutbox
):
    # given an invitation still to be sent, for a repair completed in December
    old_invitation(rebuilt, status=PENDING, sent=None)
    rollup.kpi_rollup_rebuild()

    # when the survey task sends it, and then the rollup refresh runs
    sent = services.survey_invitations_send(now=TODAY, build_url=lambda path: path)
    marked = list(KpiMonthStale.objects.values_list("organisation_id", "month"))
    tasks.kpi_rollup_refresh.delay().get()

    # then
    assert sent == 1
    assert len(mailoutbox) == 1
    assert marked == [(organisation.pk, DEC)]
    (december,) = kpi_rollup_rows(organisation_ids=[organisation.pk], start=DEC, end=DEC)
    assert (december.invitations_sent, december.responses) == (2, 1)


def test_a_visit_whose_daypart_ended_becomes_due_at_the_next_refresh(rebuilt, clock, organisation):
    # given a visit this afternoon (10 March, 12:00-17:00), not recorded
    repair(rebuilt.b, "b8", reported=at(3, 9, 9), status=Status.SCHEDULED,
           visits=[(d(3, 10), A, PLANNED, None, None)])  # fmt: skip
    scope = {"organisation_ids": [organisation.pk], "start": MAR, "end": MAR}
    tasks.kpi_rollup_refresh.delay().get()
    during = kpi_rollup_rows(**scope)

    # when the afternoon is over and the refresh runs again
    clock.move_to(at(3, 10, 17, 10), tick=False)
    tasks.kpi_rollup_refresh.delay().get()

    # then it is due and not kept
    assert during == []
    (march,) = kpi_rollup_rows(**scope)
    assert (march.visits_due, march.visits_kept, march.kept_rate) == (1, 0, 0)


# -- idempotent, also concurrently ---------------------------------------------------------


def test_computing_twice_writes_the_same_rows(rebuilt):
    # given
    first = stored_rows()

    # when
    rollup.kpi_rollup_rebuild()
    tasks.kpi_rollup_refresh.delay(13).get()

    # then
    assert stored_rows() == first
    assert len(first) == 6


def test_the_rebuild_command(world, organisation):
    # given stray rows of a month without data, from before the first month with data
    rollup.kpi_month_refresh(month=JAN, organisation_ids=ALL_ASSOCIATIONS)
    KpiMonth.objects.filter(month=JAN).update(month=datetime.date(2024, 1, 1))

    # when
    call_command("kpi_rollup_rebuild", stdout=(out := io.StringIO()))

    # then every month from December 2025 up to this month, and nothing before it
    assert out.getvalue() == "KPI rollup: 6 rows in 4 months.\n"
    assert sorted(set(KpiMonth.objects.values_list("month", flat=True))) == [DEC, JAN, FEB]
    live, stored = same_rows(organisation_ids=ALL_ASSOCIATIONS, start=DEC, end=MAR)
    assert stored == live


def test_the_rebuild_command_from_a_month(world):
    # given

    # when
    call_command("kpi_rollup_rebuild", "--since", "2026-02", stdout=(out := io.StringIO()))

    # then
    assert out.getvalue() == "KPI rollup: 2 rows in 2 months.\n"
    assert set(KpiMonth.objects.values_list("month", flat=True)) == {FEB}


@pytest.fixture
def committed_world(transactional_db, clock, organisation, other_organisation):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL locks: set DATABASE_URL")
    return kpi_world_create(organisation, other_organisation)


def test_two_concurrent_refreshes_write_the_rows_once(committed_world):
    # given the rollup computed once, as the reference
    rollup.kpi_rollup_rebuild()
    reference = stored_rows()
    KpiMonth.objects.all().delete()

    # when two workers compute every month at the same moment, twice each
    results = run_concurrently(lambda: [rollup.kpi_rollup_rebuild(), rollup.kpi_rollup_rebuild()])

    # then no clash, and one row per association, contract and month
    assert [run["rows"] for runs in results for run in runs] == [6, 6, 6, 6]
    assert stored_rows() == reference


def test_a_refresh_waits_for_one_running_on_the_same_month(committed_world):
    # given a refresh of January holding its lock in an open transaction
    started, release = threading.Event(), threading.Event()
    finished: list[float] = []

    def slow() -> None:
        try:
            with transaction.atomic():
                rollup.kpi_month_refresh(month=JAN, organisation_ids=ALL_ASSOCIATIONS)
                started.set()
                release.wait(timeout=10)
        finally:
            connections.close_all()

    holder = threading.Thread(target=slow)
    holder.start()
    started.wait(timeout=10)

    # when another refresh of January starts, then the first one commits
    def second() -> None:
        try:
            rollup.kpi_month_refresh(month=JAN, organisation_ids=ALL_ASSOCIATIONS)
            finished.append(1)
        finally:
            connections.close_all()

    waiter = threading.Thread(target=second)
    waiter.start()
    waiter.join(timeout=1)
    waited = waiter.is_alive()
    release.set()
    holder.join(timeout=10)
    waiter.join(timeout=10)

    # then it waited for the lock, and January holds its three rows once
    assert waited
    assert finished == [1]
    assert KpiMonth.objects.filter(month=JAN).count() == 3


# -- reading -------------------------------------------------------------------------------


def test_reading_takes_one_query(rebuilt, organisation, django_assert_num_queries):
    # given

    # when / then
    with django_assert_num_queries(1):
        kpi_rollup_rows(organisation_ids=[organisation.pk], start=DEC, end=MAR)


def test_combined_rows_take_one_more_query(renewed, organisation, django_assert_num_queries):
    # given a cell of two contracts (January, A, Noord)

    # when / then the lead times of those two rows are read
    with django_assert_num_queries(2):
        kpi_rollup_rows(organisation_ids=[organisation.pk], start=DEC, end=MAR)


def test_a_refresh_leaves_the_planner_as_it_found_it(world):
    # given a transaction that goes on after the refresh (PostgreSQL)
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL planner settings")

    # when
    with transaction.atomic():
        rollup.kpi_month_refresh(month=JAN, organisation_ids=ALL_ASSOCIATIONS)
        with connection.cursor() as cursor:
            cursor.execute("SHOW enable_hashjoin")
            hashjoin = cursor.fetchone()[0]
            cursor.execute("SHOW enable_mergejoin")
            mergejoin = cursor.fetchone()[0]

    # then
    assert (hashjoin, mergejoin) == ("on", "on")
    assert KpiMonth.objects.filter(month=JAN).count() == 3


@pytest.mark.django_db(transaction=True, databases=["default", "replica"])
def test_the_dashboard_reads_the_rollup_from_the_replica(
    clock, settings, client, organisation, other_organisation
):
    # given the rollup, a replica for reports, and staff of the association
    kpi_world_create(organisation, other_organisation)
    rollup.kpi_rollup_rebuild()
    settings.REPORTING_REPLICA = "replica"
    client.force_login(
        factories.StaffUserFactory(email="cijfers@example.nl", organisation=organisation)
    )

    # when the dashboard and the CSV are read
    with CaptureQueriesContext(connections["replica"]) as mirror:
        page = client.get(reverse("admin:surveys_kpidashboard_changelist"), {"months": "3"})
        exported = client.get(
            reverse("admin:surveys_kpidashboard_changelist"), {"months": "3", "format": "csv"}
        )

    # then the rollup came from the replica, with the same four rows
    assert page.status_code == exported.status_code == 200
    assert len(page.context["rows"]) == 4
    assert len(exported.content.decode().splitlines()) == 5
    assert [q["sql"] for q in mirror.captured_queries if "surveys_kpimonth" in q["sql"]]
