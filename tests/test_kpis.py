"""KPI figures from SQL aggregates (surveys.kpis.kpi_rows), checked against a world whose
figures are computed by hand: two contractors of one association over January and February
2026, plus noise that must not count (another association, December, cancelled, pending).

Definitions (surveys/kpis.py): a figure belongs to the month the request was completed in
Amsterdam time; appointments kept and no-access visits to the month of the visit."""

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from contractors.models import DaypartKind
from demo.records import PastAnswer, PastSurvey, PastVisit, past_repair_write
from portal.scoping import ALL_ASSOCIATIONS
from repairs.lifecycle import Status
from repairs.models import AppointmentStatus, RepairRequest, VisitOutcome
from surveys.kpis import KpiRow, kpi_rows
from surveys.models import InvitationStatus

from . import factories

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
# Tuesday 10 March 2026, 10:00 in Amsterdam: January and February lie in the past.
TODAY = datetime.datetime(2026, 3, 10, 10, 0, tzinfo=AMSTERDAM)
JAN = datetime.date(2026, 1, 1)
FEB = datetime.date(2026, 2, 1)
DONE, PLANNED, MOVED, CANCELLED = (
    AppointmentStatus.DONE,
    AppointmentStatus.PLANNED,
    AppointmentStatus.MOVED,
    AppointmentStatus.CANCELLED,
)
FIXED, FOLLOW_UP, NO_ACCESS = VisitOutcome.FIXED, VisitOutcome.FOLLOW_UP, VisitOutcome.NO_ACCESS


def at(month: int, day: int, hour: int, minute: int = 0, year: int = 2026) -> datetime.datetime:
    """A wall-clock time in Amsterdam (January and February: UTC+1)."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=AMSTERDAM)


@dataclass
class Side:
    """One contractor's contract for one area of an association, with a tenant there."""

    organisation: object
    contractor: object
    area: object
    contract: object
    dwelling: object
    tenant: object
    category: object
    dayparts: dict
    requests: dict = field(default_factory=dict)


def side_create(organisation, *, contractor=None, contractor_name="", area_name="", tenant=""):
    contractor = contractor or factories.ContractorFactory(name=contractor_name)
    contract = factories.ContractFactory(
        area=factories.AreaFactory(organisation=organisation, name=area_name),
        contractor=contractor,
    )
    first, last = tenant.split(" ", 1)
    dwelling = factories.DwellingFactory(organisation=organisation)
    person = factories.UserFactory(
        email=f"{first.lower()}@example.nl", first_name=first, last_name=last, language="en"
    )
    factories.TenancyFactory(dwelling=dwelling, tenant=person)
    return Side(
        organisation=organisation,
        contractor=contractor,
        area=contract.area,
        contract=contract,
        dwelling=dwelling,
        tenant=person,
        category=factories.RepairCategoryFactory(organisation=organisation),
        dayparts={
            kind: factories.DaypartFactory(contractor=contractor, kind=kind)
            for kind in (DaypartKind.MORNING, DaypartKind.AFTERNOON)
        },
    )


def repair(
    side: Side,
    key: str,
    *,
    reported: datetime.datetime,
    completed: datetime.datetime | None = None,
    ftf: bool | None = None,
    urgent: bool = False,
    status: str = Status.COMPLETED,
    visits: tuple = (),
    survey: str | None = None,
    grade: int | None = None,
    may_contact: bool = False,
    comment: str = "",
) -> RepairRequest:
    """A request with its visits and survey, written straight to the database by the
    writer the demo history uses (demo.records).

    visits: (date, daypart kind, appointment status, outcome, recorded at);
    survey: the invitation's status (None: no invitation), grade: the answer's overall grade.
    """
    sent = completed + datetime.timedelta(hours=2) if survey is not None else None
    repair_request = past_repair_write(
        contract=side.contract,
        dwelling=side.dwelling,
        tenancy=side.dwelling.tenancies.get(),
        category=side.category,
        reported_at=reported,
        description="De kraan in de keuken lekt al twee dagen.",
        status=status,
        completed_at=completed,
        first_time_fix=ftf,
        urgent=urgent,
        visits=[
            PastVisit(
                date=date,
                daypart=side.dayparts[kind],
                status=visit_status,
                outcome=outcome or "",
                recorded_at=recorded,
            )
            for date, kind, visit_status, outcome, recorded in visits
        ],
        survey=None
        if survey is None
        else PastSurvey(
            status=survey,
            due_at=sent,
            sent_at=None if survey == InvitationStatus.PENDING else sent,
            expires_at=None if survey == InvitationStatus.PENDING else sent + 14 * DAY,
            language="en",
            answer=None
            if grade is None
            else PastAnswer(overall_grade=grade, may_contact=may_contact, comment=comment),
        ),
        slot_capacity=10,
    )
    side.requests[key] = repair_request
    return repair_request


DAY = datetime.timedelta(days=1)
M, A = DaypartKind.MORNING, DaypartKind.AFTERNOON
ANSWERED, SENT, EXPIRED, PENDING = (
    InvitationStatus.ANSWERED,
    InvitationStatus.SENT,
    InvitationStatus.EXPIRED,
    InvitationStatus.PENDING,
)


def d(month: int, day: int) -> datetime.date:
    return datetime.date(2026, month, day)


@dataclass
class World:
    a: Side
    b: Side
    theirs: Side
    comments: list[str]


def kpi_world_create(organisation, other_organisation) -> World:
    """Contractor A (area Noord) and B (area Zuid) of one association, and A's contract with
    another association. The expected figures are computed by hand in EXPECTED below."""
    a = side_create(
        organisation, contractor_name="Aalbers Onderhoud", area_name="Noord", tenant="Anna Jansen"
    )
    b = side_create(
        organisation,
        contractor_name="Bakker Installatietechniek",
        area_name="Zuid",
        tenant="Bram Visser",
    )
    theirs = side_create(
        other_organisation, contractor=a.contractor, area_name="Dommeldal", tenant="Cor Smit"
    )

    # -- A, January: a1, a2, a3 ------------------------------------------------------------
    # a1 emergency, 07:00 -> 11:00 = 4 h, fixed at the first visit (morning, recorded 11:00)
    repair(a, "a1", reported=at(1, 5, 7), completed=at(1, 5, 11), ftf=True, urgent=True,
           visits=[(d(1, 5), M, DONE, FIXED, at(1, 5, 11))],
           survey=ANSWERED, grade=9, comment="Quick and tidy, thanks Anna")  # fmt: skip
    # a2 8 Jan 10:00 -> 10 Jan 10:00 = 48 h; first visit recorded at 18:00 (after its
    # afternoon ended: not kept), follow-up needed; the survey expired unanswered
    repair(a, "a2", reported=at(1, 8, 10), completed=at(1, 10, 10), ftf=False,
           visits=[(d(1, 9), A, DONE, FOLLOW_UP, at(1, 9, 18)),
                   (d(1, 10), M, DONE, FIXED, at(1, 10, 10))],
           survey=EXPIRED)  # fmt: skip
    # a3 emergency, 12 Jan 09:00 -> 15 Jan 09:00 = 72 h (not within 24 h); a moved visit (not
    # counted), nobody home at the next (kept, no access), fixed at the first visit with access
    repair(a, "a3", reported=at(1, 12, 9), completed=at(1, 15, 9), ftf=True, urgent=True,
           visits=[(d(1, 12), A, MOVED, None, None),
                   (d(1, 13), M, DONE, NO_ACCESS, at(1, 13, 9, 30)),
                   (d(1, 15), M, DONE, FIXED, at(1, 15, 9))],
           survey=ANSWERED, grade=4, may_contact=True, comment="Anna waited all morning")  # fmt: skip
    # -- A, February: a4, a5, a6 -----------------------------------------------------------
    # a4 22 Jan 00:30 -> 1 Feb 00:30 = 240 h. Completed on 1 February in Amsterdam but on
    # 31 January in UTC: it belongs to February. Its visit (31 Jan afternoon) belongs to
    # January and was recorded after the afternoon ended (not kept). Invited, no answer.
    repair(a, "a4", reported=at(1, 22, 0, 30), completed=at(2, 1, 0, 30), ftf=True,
           visits=[(d(1, 31), A, DONE, FIXED, at(2, 1, 0, 30))],
           survey=SENT)  # fmt: skip
    # a5 reported in January, 30 Jan 10:00 -> 2 Feb 10:00 = 72 h: counts in February
    repair(a, "a5", reported=at(1, 30, 10), completed=at(2, 2, 10), ftf=True,
           visits=[(d(2, 2), M, DONE, FIXED, at(2, 2, 10))],
           survey=ANSWERED, grade=10)  # fmt: skip
    # a6 08:00 -> 16:00 = 8 h
    repair(a, "a6", reported=at(2, 10, 8), completed=at(2, 10, 16), ftf=True,
           visits=[(d(2, 10), A, DONE, FIXED, at(2, 10, 16))],
           survey=ANSWERED, grade=6)  # fmt: skip
    # -- A, not completed: a visit planned on 20 Jan that nobody recorded (due, not kept);
    # a cancelled request with its cancelled visit (neither counts)
    repair(a, "a7", reported=at(1, 19, 10), status=Status.SCHEDULED,
           visits=[(d(1, 20), M, PLANNED, None, None)])  # fmt: skip
    repair(a, "a8", reported=at(1, 25, 10), status=Status.CANCELLED,
           visits=[(d(1, 27), M, CANCELLED, None, None)])  # fmt: skip

    # -- B, January: b1..b4 ----------------------------------------------------------------
    # b1 emergency 08:00 -> 13:00 = 5 h (within 24 h)
    repair(b, "b1", reported=at(1, 6, 8), completed=at(1, 6, 13), ftf=True, urgent=True,
           visits=[(d(1, 6), A, DONE, FIXED, at(1, 6, 13))],
           survey=ANSWERED, grade=7)  # fmt: skip
    # b2 7 Jan 12:00 -> 9 Jan 11:00 = 47 h, two visits, both recorded in their morning
    repair(b, "b2", reported=at(1, 7, 12), completed=at(1, 9, 11), ftf=False,
           visits=[(d(1, 8), M, DONE, FOLLOW_UP, at(1, 8, 11)),
                   (d(1, 9), M, DONE, FIXED, at(1, 9, 11))],
           survey=ANSWERED, grade=5, comment="Bram had to stay home twice")  # fmt: skip
    # b3 20 Jan 09:00 -> 21 Jan 12:45 = 27.75 h, recorded 45 minutes after the morning ended
    repair(b, "b3", reported=at(1, 20, 9), completed=at(1, 21, 12, 45), ftf=True,
           visits=[(d(1, 21), M, DONE, FIXED, at(1, 21, 12, 45))],
           survey=ANSWERED, grade=8)  # fmt: skip
    # b4 26 Jan 10:00 -> 28 Jan 15:00 = 53 h; no access first, then fixed; invited, no answer
    repair(b, "b4", reported=at(1, 26, 10), completed=at(1, 28, 15), ftf=True,
           visits=[(d(1, 27), M, DONE, NO_ACCESS, at(1, 27, 8, 15)),
                   (d(1, 28), A, DONE, FIXED, at(1, 28, 15))],
           survey=SENT)  # fmt: skip
    # -- B, February: b5, b6 ---------------------------------------------------------------
    # b5 08:00 -> 10:00 = 2 h
    repair(b, "b5", reported=at(2, 3, 8), completed=at(2, 3, 10), ftf=True,
           visits=[(d(2, 3), M, DONE, FIXED, at(2, 3, 10))],
           survey=ANSWERED, grade=9)  # fmt: skip
    # b6 16 Feb 09:00 -> 17 Feb 14:00 = 29 h, two visits kept
    repair(b, "b6", reported=at(2, 16, 9), completed=at(2, 17, 14), ftf=False,
           visits=[(d(2, 16), A, DONE, FOLLOW_UP, at(2, 16, 16, 30)),
                   (d(2, 17), A, DONE, FIXED, at(2, 17, 14))],
           survey=ANSWERED, grade=3)  # fmt: skip

    # -- noise -----------------------------------------------------------------------------
    # A in December 2025 (outside a three-month period): 2 h, grade 10
    repair(a, "dec", reported=at(12, 15, 8, year=2025), completed=at(12, 15, 10, year=2025),
           ftf=True, visits=[(datetime.date(2025, 12, 15), M, DONE, FIXED,
                              at(12, 15, 10, year=2025))],
           survey=ANSWERED, grade=10)  # fmt: skip
    # A for the other association in January: 3 h, not first time, grade 1 (its own row)
    repair(theirs, "t1", reported=at(1, 14, 8), completed=at(1, 14, 11), ftf=False,
           visits=[(d(1, 14), M, DONE, FIXED, at(1, 14, 11))],
           survey=ANSWERED, grade=1, may_contact=True, comment="Cor is furious")  # fmt: skip
    return World(
        a=a,
        b=b,
        theirs=theirs,
        comments=[
            "Quick and tidy, thanks Anna",
            "Anna waited all morning",
            "Bram had to stay home twice",
            "Cor is furious",
        ],
    )


def figures(row: KpiRow) -> dict:
    """A row's figures as the dashboard shows them (shares in %, hours rounded to 0.1)."""
    return {
        "month": row.month,
        "contractor": row.contractor,
        "area": row.area,
        "completed": row.completed,
        "mean_grade": row.mean_grade_rounded,
        "share_8_plus": row.share_8_plus,
        "share_5_or_lower": row.share_5_or_lower,
        "responses": row.responses,
        "invitations_sent": row.invitations_sent,
        "response_rate": row.response_rate,
        "first_time_fix": row.first_time_fix_rate,
        "lead_median_h": row.lead_median_hours,
        "lead_p90_h": row.lead_p90_hours,
        "emergencies": row.emergencies,
        "emergencies_within_24h": row.emergency_rate,
        "visits_due": row.visits_due,
        "visits_kept": row.visits_kept,
        "appointments_kept": row.kept_rate,
        "no_access_visits": row.no_access_visits,
    }


P = Decimal
# Hand-computed. Percentiles are continuous: sorted values v, position (n - 1) * p,
# interpolated between the two neighbours.
EXPECTED = {
    ("2026-01", "Aalbers Onderhoud", "Noord"): {
        "completed": 3,  # a1, a2, a3
        "mean_grade": P("6.50"),  # (9 + 4) / 2; a2 expired unanswered
        "share_8_plus": P("50.0"),  # 1 of 2
        "share_5_or_lower": P("50.0"),  # 1 of 2
        "responses": 2,
        "invitations_sent": 3,
        "response_rate": P("66.7"),  # 2 / 3
        "first_time_fix": P("66.7"),  # a1, a3 of 3
        "lead_median_h": 48.0,  # [4, 48, 72]
        "lead_p90_h": 67.2,  # position 1.8: 48 + 0.8 * (72 - 48)
        "emergencies": 2,  # a1, a3
        "emergencies_within_24h": P("50.0"),  # a1 only
        "visits_due": 7,  # a1, a2 x2, a3 x2 (moved one not counted), a4's, a7's planned
        "visits_kept": 4,  # a1, a2's second, a3's two
        "appointments_kept": P("57.1"),  # 4 / 7
        "no_access_visits": 1,  # a3's first
    },
    ("2026-01", "Bakker Installatietechniek", "Zuid"): {
        "completed": 4,
        "mean_grade": P("6.67"),  # (7 + 5 + 8) / 3
        "share_8_plus": P("33.3"),  # b3
        "share_5_or_lower": P("33.3"),  # b2
        "responses": 3,
        "invitations_sent": 4,
        "response_rate": P("75.0"),
        "first_time_fix": P("75.0"),  # b1, b3, b4
        "lead_median_h": 37.4,  # [5, 27.75, 47, 53]: (27.75 + 47) / 2 = 37.375
        "lead_p90_h": 51.2,  # position 2.7: 47 + 0.7 * (53 - 47)
        "emergencies": 1,
        "emergencies_within_24h": P("100.0"),
        "visits_due": 6,
        "visits_kept": 5,  # all but b3's, recorded 12:45 after a morning
        "appointments_kept": P("83.3"),
        "no_access_visits": 1,
    },
    ("2026-02", "Aalbers Onderhoud", "Noord"): {
        "completed": 3,  # a4 (1 Feb 00:30 Amsterdam), a5, a6
        "mean_grade": P("8.00"),  # (10 + 6) / 2
        "share_8_plus": P("50.0"),
        "share_5_or_lower": P("0.0"),
        "responses": 2,
        "invitations_sent": 3,
        "response_rate": P("66.7"),
        "first_time_fix": P("100.0"),
        "lead_median_h": 72.0,  # [8, 72, 240]
        "lead_p90_h": 206.4,  # position 1.8: 72 + 0.8 * (240 - 72)
        "emergencies": 0,
        "emergencies_within_24h": None,
        "visits_due": 2,  # a5, a6 (a4's visit was in January)
        "visits_kept": 2,
        "appointments_kept": P("100.0"),
        "no_access_visits": 0,
    },
    ("2026-02", "Bakker Installatietechniek", "Zuid"): {
        "completed": 2,
        "mean_grade": P("6.00"),  # (9 + 3) / 2
        "share_8_plus": P("50.0"),
        "share_5_or_lower": P("50.0"),
        "responses": 2,
        "invitations_sent": 2,
        "response_rate": P("100.0"),
        "first_time_fix": P("50.0"),  # b5
        "lead_median_h": 15.5,  # [2, 29]
        "lead_p90_h": 26.3,  # position 0.9: 2 + 0.9 * 27
        "emergencies": 0,
        "emergencies_within_24h": None,
        "visits_due": 3,
        "visits_kept": 3,
        "appointments_kept": P("100.0"),
        "no_access_visits": 0,
    },
}
# The other association's row of contractor A: one request, 3 h, grade 1.
EXPECTED_THEIRS = {
    "completed": 1,
    "mean_grade": P("1.00"),
    "share_8_plus": P("0.0"),
    "share_5_or_lower": P("100.0"),
    "responses": 1,
    "invitations_sent": 1,
    "response_rate": P("100.0"),
    "first_time_fix": P("0.0"),
    "lead_median_h": 3.0,
    "lead_p90_h": 3.0,
    "emergencies": 0,
    "emergencies_within_24h": None,
    "visits_due": 1,
    "visits_kept": 1,
    "appointments_kept": P("100.0"),
    "no_access_visits": 0,
}


def table(rows: list[KpiRow]) -> dict:
    return {
        (row.month.strftime("%Y-%m"), row.contractor, row.area): {
            key: value
            for key, value in figures(row).items()
            if key not in {"month", "contractor", "area"}
        }
        for row in rows
    }


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(TODAY, tick=False)
    return time_machine


@pytest.fixture
def world(db, clock, organisation, other_organisation) -> World:
    return kpi_world_create(organisation, other_organisation)


# -- the figures ---------------------------------------------------------------------------


def test_the_figures_match_the_hand_computed_ones(world, organisation):
    # given the world above

    # when
    rows = kpi_rows(organisation_ids=[organisation.pk], start=JAN, end=FEB)

    # then
    assert table(rows) == EXPECTED
    assert [(row.month, row.contractor_id) for row in rows] == [
        (JAN, world.a.contractor.pk),
        (JAN, world.b.contractor.pk),
        (FEB, world.a.contractor.pk),
        (FEB, world.b.contractor.pk),
    ]


def test_the_figures_take_three_queries_however_many_requests(
    world, organisation, django_assert_num_queries
):
    # given

    # when / then one aggregate each for requests, invitations and visits
    with django_assert_num_queries(3):
        kpi_rows(organisation_ids=[organisation.pk], start=JAN, end=FEB)


def test_a_request_counts_in_the_month_it_was_completed_in_amsterdam(world, organisation):
    # given a4, completed on 1 February 00:30 in Amsterdam (31 January 23:30 UTC)
    a4 = world.a.requests["a4"]
    assert a4.completed_at.astimezone(datetime.UTC).month == 1

    # when
    january = kpi_rows(organisation_ids=[organisation.pk], start=JAN, end=JAN)
    february = kpi_rows(organisation_ids=[organisation.pk], start=FEB, end=FEB)

    # then its 240 hours are February's longest lead time, and none of January's
    assert [row.completed for row in january] == [3, 4]
    assert [(row.completed, row.lead_p90_hours) for row in february] == [(3, 206.4), (2, 26.3)]


def test_the_period_decides_which_months_count(world, organisation):
    # given

    # when
    with_december = kpi_rows(
        organisation_ids=[organisation.pk], start=datetime.date(2025, 12, 1), end=FEB
    )

    # then December is a row of its own, and January and February are unchanged
    got = table(with_december)
    assert got.pop(("2025-12", "Aalbers Onderhoud", "Noord"))["mean_grade"] == P("10.00")
    assert got == EXPECTED


@pytest.mark.parametrize("which", ["a", "b"])
def test_a_contractor_filter_keeps_that_contractors_rows(world, organisation, which):
    # given
    side = getattr(world, which)

    # when
    rows = kpi_rows(
        organisation_ids=[organisation.pk], start=JAN, end=FEB, contractor_id=side.contractor.pk
    )

    # then
    assert table(rows) == {
        key: value for key, value in EXPECTED.items() if key[1] == side.contractor.name
    }


def test_an_area_filter_keeps_that_areas_rows(world, organisation):
    # given

    # when
    rows = kpi_rows(organisation_ids=[organisation.pk], start=JAN, end=FEB, area_id=world.b.area.pk)

    # then
    assert table(rows) == {key: value for key, value in EXPECTED.items() if key[2] == "Zuid"}


def test_another_associations_work_is_counted_for_it_alone(world, organisation, other_organisation):
    # given contractor A works for both associations

    # when
    theirs = kpi_rows(organisation_ids=[other_organisation.pk], start=JAN, end=FEB)
    contractor_a = kpi_rows(
        organisation_ids=ALL_ASSOCIATIONS, start=JAN, end=FEB, contractor_id=world.a.contractor.pk
    )
    nobody = kpi_rows(organisation_ids=[], start=JAN, end=FEB)

    # then
    assert table(theirs) == {("2026-01", "Aalbers Onderhoud", "Dommeldal"): EXPECTED_THEIRS}
    assert table(contractor_a) == {
        ("2026-01", "Aalbers Onderhoud", "Dommeldal"): EXPECTED_THEIRS,
        **{key: value for key, value in EXPECTED.items() if key[1] == "Aalbers Onderhoud"},
    }
    assert nobody == []


def test_invitations_not_sent_yet_do_not_count(world, organisation):
    # given a request of B completed yesterday, its invitation still waiting
    repair(world.b, "b7", reported=at(3, 8, 9), completed=at(3, 9, 9), ftf=True,
           survey=PENDING)  # fmt: skip

    # when
    (march,) = kpi_rows(
        organisation_ids=[organisation.pk], start=datetime.date(2026, 3, 1), end=TODAY.date()
    )

    # then the repair counts, the invitation does not
    assert (march.completed, march.invitations_sent, march.response_rate) == (1, 0, None)
    assert (march.mean_grade, march.lead_median_hours) == (None, 24.0)


def test_a_visit_still_to_come_is_not_due(world, organisation):
    # given a visit planned this afternoon, and one that ended this morning, not recorded
    repair(world.b, "b8", reported=at(3, 9, 9), status=Status.SCHEDULED,
           visits=[(d(3, 10), A, PLANNED, None, None)])  # fmt: skip
    repair(world.b, "b9", reported=at(3, 9, 9), status=Status.SCHEDULED,
           visits=[(d(3, 9), M, PLANNED, None, None)])  # fmt: skip

    # when
    (march,) = kpi_rows(organisation_ids=[organisation.pk], start=d(3, 1), end=d(3, 1))

    # then only the past one is due (and not kept)
    assert (march.completed, march.visits_due, march.visits_kept, march.kept_rate) == (
        0,
        1,
        0,
        P("0.0"),
    )


def test_an_empty_period_has_no_rows(world, organisation):
    # given

    # when
    rows = kpi_rows(
        organisation_ids=[organisation.pk],
        start=datetime.date(2025, 6, 1),
        end=datetime.date(2025, 11, 1),
    )

    # then
    assert rows == []
