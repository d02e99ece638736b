"""The demo's area scorecard (demo.scorecard): this quarter's scorecard of De Kempen's first
contract shows a figure on target, one just off and one off; every demo dwelling has a CBS
neighbourhood, the SROI contributions lie in neighbourhoods and the ledger totals several;
a second run changes nothing.

The demo's history is built relative to today, so the demo is written at a pinned moment in
the middle of a quarter and at its very start (the first days of a quarter have no
completed repairs yet: the contracts still get their targets and SROI is judged)."""

import datetime
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from contractors.models import Contract, SroiContribution
from contractors.sroi import totals_per_neighbourhood
from demo.scorecard import demo_scorecard_write
from portal.models import Dwelling, Neighbourhood, Organisation
from surveys.scorecard import contract_scorecards, current_period

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def demo_data() -> None:
    call_command("demo_data", stdout=io.StringIO())


def kempen_cards(today: datetime.date):
    kempen = Organisation.objects.get(slug="dekempen")
    year, quarter = current_period(today)
    return kempen, contract_scorecards(organisation_ids=[kempen.pk], year=year, quarter=quarter)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "moment",
    [
        datetime.datetime(2026, 11, 18, 10, 0, tzinfo=AMSTERDAM),
        datetime.datetime(2027, 5, 20, 15, 0, tzinfo=AMSTERDAM),
    ],
    ids=lambda moment: moment.date().isoformat(),
)
def test_this_quarters_demo_scorecard_shows_green_amber_and_red(moment, time_machine):
    # given the demo, written in the middle of a quarter
    time_machine.move_to(moment, tick=True)
    demo_data()

    # when
    kempen, cards = kempen_cards(moment.date())

    # then the first contract (Centrum, where the README's tenant lives) shows each colour
    showcase = min(cards, key=lambda card: card.contract.pk)
    assert showcase.contract.area.name == "Centrum"
    statuses = {figure.status for figure in showcase.figures}
    assert {"green", "amber", "red"} <= statuses
    # every contract has its targets
    assert not Contract.objects.filter(target_first_time_fix_percent__isnull=True).exists()

    # the neighbourhoods: on every demo dwelling, in the lists, and under the contributions
    assert not Dwelling.objects.filter(cbs_buurt_code="").exists()
    assert Neighbourhood.objects.filter(organisation=kempen).count() >= 10
    assert not SroiContribution.objects.filter(buurt__isnull=True).exists()
    totals = totals_per_neighbourhood(organisation_ids=[kempen.pk], year=moment.year)
    assert len(totals) >= 3
    assert all(row["code"].startswith("BU0772") for row in totals)

    # and a second run changes nothing
    before = list(Contract.objects.order_by("pk").values())
    assert demo_scorecard_write() == {
        "dwellings": 0,
        "neighbourhoods": 0,
        "contributions": 0,
        "contracts": 0,
    }
    assert list(Contract.objects.order_by("pk").values()) == before


@pytest.mark.django_db
def test_on_a_quarters_first_morning_the_demo_still_sets_targets(time_machine):
    # given the first morning of a quarter: no repair of it is completed yet
    moment = datetime.datetime(2027, 1, 1, 0, 30, tzinfo=AMSTERDAM)
    time_machine.move_to(moment, tick=True)

    # when
    demo_data()

    # then every contract has its targets, and the SROI figure is judged
    assert not Contract.objects.filter(target_mean_grade__isnull=True).exists()
    _kempen, cards = kempen_cards(moment.date())
    assert cards
    assert all(card.figure("sroi").status != "none" for card in cards)
