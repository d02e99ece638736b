"""The KPI "completed within norm", emergencies and other repairs apart, on a hand-made set:
live from SQL (kpi_rows), from the monthly rollup (KpiMonth) and on the staff's and the
contractor's pages. A request counts when it was completed by its latest completion; one
routed before norm times existed has none and counts neither way."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from demo.records import past_repair_write
from portal.scoping import ALL_ASSOCIATIONS
from repairs.models import RepairRequest
from surveys import rollup
from surveys.kpis import kpi_rollup_rows, kpi_rows

from . import factories
from .test_contractor_queue import text_of

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
FEB = datetime.date(2026, 2, 1)
MAR = datetime.date(2026, 3, 1)


def at(month: int, day: int, hour: int, minute: int = 0) -> datetime.datetime:
    return datetime.datetime(2026, month, day, hour, minute, tzinfo=AMSTERDAM)


@pytest.fixture
def world(now, chain):
    """February 2026 at the chain's contract (the clock: 10 March)."""

    def repair(*, reported, completed, due, urgent=False):
        repair_request = past_repair_write(
            contract=chain.contract,
            dwelling=chain.dwelling,
            tenancy=chain.tenancy,
            category=chain.category,
            reported_at=reported,
            description="Lek.",
            completed_at=completed,
            first_time_fix=True,
            urgent=urgent,
        )
        RepairRequest.objects.filter(pk=repair_request.pk).update(complete_due_at=due)

    # emergencies: in 12 h of 24 (in), 25 h of 24 (late), one without a deadline
    repair(reported=at(2, 2, 8), completed=at(2, 2, 20), due=at(2, 3, 8), urgent=True)
    repair(reported=at(2, 4, 8), completed=at(2, 5, 9), due=at(2, 5, 8), urgent=True)
    repair(reported=at(2, 6, 8), completed=at(2, 6, 9), due=None, urgent=True)
    # repairs due by the end of Thursday 12 February: a day early (in), at the last instant
    # (in), on Monday the 16th (late); one without a deadline
    repair(reported=at(2, 2, 9), completed=at(2, 11, 15), due=at(2, 13, 0))
    repair(reported=at(2, 2, 9), completed=at(2, 13, 0), due=at(2, 13, 0))
    repair(reported=at(2, 2, 9), completed=at(2, 16, 10), due=at(2, 13, 0))
    repair(reported=at(2, 2, 9), completed=at(2, 3, 10), due=None)
    # March: its own month
    repair(reported=at(3, 2, 9), completed=at(3, 3, 10), due=at(3, 17, 0))
    return chain


EXPECTED_FEB = {
    "completed": 7,
    "emergencies_with_norm": 2,
    "emergencies_within_norm": 1,
    "emergency_norm_rate": Decimal("50.0"),
    "repairs_with_norm": 3,
    "repairs_within_norm": 2,
    "repair_norm_rate": Decimal("66.7"),
}


def norm_figures(row) -> dict:
    return {name: getattr(row, name) for name in EXPECTED_FEB}


def test_the_share_within_norm_is_computed_from_sql(world):
    rows = kpi_rows(organisation_ids=ALL_ASSOCIATIONS, start=FEB, end=MAR)

    assert [(row.month, norm_figures(row)) for row in rows] == [
        (FEB, EXPECTED_FEB),
        (
            MAR,
            {
                "completed": 1,
                "emergencies_with_norm": 0,
                "emergencies_within_norm": 0,
                "emergency_norm_rate": None,
                "repairs_with_norm": 1,
                "repairs_within_norm": 1,
                "repair_norm_rate": Decimal("100.0"),
            },
        ),
    ]


def test_the_monthly_rollup_holds_the_same_figures(world):
    # when the rollup of both months is computed
    for month in (FEB, MAR):
        rollup.kpi_month_refresh(month=month, organisation_ids=ALL_ASSOCIATIONS)

    # then it reads the same rows as the live computation
    rolled = kpi_rollup_rows(organisation_ids=ALL_ASSOCIATIONS, start=FEB, end=MAR)
    live = kpi_rows(organisation_ids=ALL_ASSOCIATIONS, start=FEB, end=MAR)
    assert rolled == live
    assert norm_figures(rolled[0]) == EXPECTED_FEB


def test_the_contractors_figures_show_the_shares(world, english_client):
    for month in (FEB, MAR):
        rollup.kpi_month_refresh(month=month, organisation_ids=ALL_ASSOCIATIONS)
    planner = factories.planner_create(world.contractor)

    page = text_of(english_client(planner).get(reverse("contractor_kpis")))

    assert "Emergencies within norm" in page
    assert "Repairs within norm" in page
    assert "50.0% (1/2) 66.7% (2/3)" in page
