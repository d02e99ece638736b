"""The area scorecard (surveys.scorecard): a hand-built quarter where every figure is pinned,
the green/amber/red judgement and the trend, who may see which scorecard, the CSV and the
PDF agreeing with the page, and queries that do not grow with the contracts."""

import csv
import datetime
import io
import re
from decimal import Decimal
from html import unescape

import pypdfium2
import pytest
from django.urls import reverse
from django.utils import translation

from contractors.models import Area, SroiContribution
from contractors.services import dwelling_areas_fill_missing
from portal.models import Dwelling, Neighbourhood
from portal.scoping import ALL_ASSOCIATIONS
from repairs.models import MaintenanceKind, MaterialReuse, RepairRequest
from surveys.rollup import kpi_rollup_rebuild
from surveys.scorecard import SPECS, FigureSpec, compare, contract_scorecards, judge

from . import factories
from .queries import count_statements
from .test_kpis import ANSWERED, SENT, A, M, at, repair, side_create

DONE = "done"
FIXED, FOLLOW_UP = "fixed", "follow_up"
# Friday 15 May 2026: the first quarter lies in the past, the fourth of 2025 before it.
TODAY = datetime.datetime(2026, 5, 15, 10, 0, tzinfo=datetime.UTC)
TARGETS = {
    "target_mean_grade": Decimal("7.5"),  # 6.5: red
    "target_low_grades_percent": Decimal("10"),  # 50.0: red
    "target_response_rate_percent": Decimal("60"),  # 66.7: green
    "target_first_time_fix_percent": Decimal("70"),  # 66.7: amber
    "target_emergency_within_norm_percent": Decimal("90"),  # 100.0: green
    "target_repair_within_norm_percent": Decimal("50"),  # 50.0: green (meets it exactly)
    "target_lead_time_p90_hours": 40,  # 43.2: amber (10 % of 40 = 4)
    "target_appointments_kept_percent": Decimal("90"),  # 66.7: red
    "target_repeat_repairs_percent": Decimal("30"),  # 33.3: amber
}


@pytest.fixture(autouse=True)
def english():
    """The figures' words and numbers as an English reader sees them."""
    with translation.override("en"):
        yield


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(TODAY, tick=False)
    return time_machine


def quarter_build(organisation, *, contractor=None, area_name="Woensel", targets=True):
    """One contract with a known first quarter of 2026 and a fourth quarter of 2025."""
    side = side_create(
        organisation,
        contractor=contractor,
        contractor_name="Aalbers Onderhoud",
        area_name=area_name,
        tenant=f"{area_name.replace(' ', '')}{organisation.pk} Huurder",
    )
    # the dwelling lies in the contract's area (a full-postcode rule), so the fee counts it
    postcode = f"{5000 + Area.objects.filter(organisation=organisation).count()}AB"
    Dwelling.objects.filter(pk=side.dwelling.pk).update(postcode=postcode)
    factories.PostcodeRuleFactory(
        area=side.area, range_start=None, range_end=None, postcode=postcode
    )
    dwelling_areas_fill_missing(organisation_ids=[organisation.pk])
    if targets:
        type(side.contract).objects.filter(pk=side.contract.pk).update(**TARGETS)
        side.contract.refresh_from_db()
    # Q4 2025: one repair, fixed at once, graded 7
    repair(
        side,
        "q4",
        reported=at(11, 3, 9, year=2025),
        completed=at(11, 4, 9, year=2025),
        ftf=True,
        visits=((datetime.date(2025, 11, 4), M, DONE, FIXED, at(11, 4, 11, year=2025)),),
        survey=ANSWERED,
        grade=7,
    )
    # Q1 2026: three repairs and one planned-maintenance visit that does not count
    one = repair(
        side,
        "one",
        reported=at(1, 5, 9),
        completed=at(1, 6, 9),
        ftf=True,
        visits=((datetime.date(2026, 1, 6), M, DONE, FIXED, at(1, 6, 11)),),
        survey=ANSWERED,
        grade=8,
    )
    two = repair(
        side,
        "two",
        reported=at(2, 2, 9),
        completed=at(2, 4, 9),
        ftf=False,
        visits=(
            (datetime.date(2026, 2, 3), M, DONE, FOLLOW_UP, at(2, 3, 11)),
            (datetime.date(2026, 2, 4), M, DONE, FIXED, at(2, 4, 13)),  # after the daypart
        ),
        survey=ANSWERED,
        grade=5,
    )
    three = repair(
        side,
        "three",
        reported=at(3, 2, 9),
        completed=at(3, 2, 21),
        ftf=True,
        urgent=True,
        survey=SENT,
    )
    planned = repair(
        side,
        "planned",
        reported=at(3, 3, 9),
        completed=at(3, 20, 9),
        ftf=False,
        visits=((datetime.date(2026, 3, 20), A, DONE, FIXED, at(3, 20, 18)),),
        survey=ANSWERED,
        grade=1,
    )
    RepairRequest.objects.filter(pk=planned.pk).update(maintenance_kind=MaintenanceKind.PLANNED)
    RepairRequest.objects.filter(pk=one.pk).update(complete_due_at=at(1, 10, 17))
    RepairRequest.objects.filter(pk=two.pk).update(complete_due_at=at(2, 3, 9), repeat_of=one)
    RepairRequest.objects.filter(pk=three.pk).update(complete_due_at=at(3, 3, 9))
    visit = one.appointments.get()
    MaterialReuse.objects.create(
        organisation=organisation,
        appointment=visit,
        contractor=side.contractor,
        description="Binnendeur",
        quantity=Decimal("12.5"),
        unit="kg",
        source="vacant",
        source_dwelling=factories.DwellingFactory(organisation=organisation),
    )
    MaterialReuse.objects.create(
        organisation=organisation,
        appointment=visit,
        contractor=side.contractor,
        description="Kraan",
        quantity=1,
        unit="st",
        source="same",
    )
    SroiContribution.objects.create(
        organisation=organisation,
        contract=side.contract,
        date=datetime.date(2026, 2, 1),
        buurt=Neighbourhood.objects.create(
            organisation=organisation, name=f"{area_name}-Noord", cbs_buurt_code=""
        ),
        description="Buurtmoestuin",
        value=Decimal("2.00"),
    )
    return side


@pytest.fixture
def side(db, clock, organisation):
    side = quarter_build(organisation)
    kpi_rollup_rebuild()
    return side


def _card(organisation_ids, year=2026, quarter=1, **kwargs):
    cards = contract_scorecards(
        organisation_ids=organisation_ids, year=year, quarter=quarter, **kwargs
    )
    assert len(cards) == 1
    return cards[0]


def test_every_figure_of_a_hand_built_quarter(side, organisation):
    # when
    card = _card([organisation.pk])

    # then
    assert card.period_label == "2026 Q1"
    assert {figure.key: figure.value for figure in card.figures} == {
        "mean_grade": Decimal("6.5"),  # 8 and 5; the planned visit's 1 does not count
        "low_grades": Decimal("50.0"),
        "response_rate": Decimal("66.7"),  # 2 answers of 3 sent
        "first_time_fix": Decimal("66.7"),
        "emergency_within_norm": Decimal("100.0"),
        "repair_within_norm": Decimal("50.0"),
        "lead_time_p50": Decimal("24.0"),  # 12, 24 and 48 hours
        "lead_time_p90": Decimal("43.2"),
        "appointments_kept": Decimal("66.7"),  # the second visit recorded after its daypart
        "repeat_repairs": Decimal("33.3"),
        "sroi": Decimal("90.1"),  # € 2.00 of € 2.22 (5 % of the quarter's fee)
        "reuse_vacant_items": Decimal("1"),
        "reuse_vacant_kg": Decimal("12.5"),
        "reuse_repair_items": Decimal("1"),
        "reuse_repair_kg": Decimal("0"),
        "fee": Decimal("44.38"),  # € 180 a year × 90 days / 365
    }
    assert card.figure("sroi").detail == "€ 2.00 of € 2.22 pledged"


def test_status_against_the_targets_and_trend_against_the_quarter_before(side, organisation):
    # when
    card = _card([organisation.pk])

    # then
    assert {figure.key: figure.status for figure in card.figures} == {
        "mean_grade": "red",
        "low_grades": "red",
        "response_rate": "green",
        "first_time_fix": "amber",
        "emergency_within_norm": "green",
        "repair_within_norm": "green",
        "lead_time_p50": "none",
        "lead_time_p90": "amber",
        "appointments_kept": "red",
        "repeat_repairs": "amber",
        "sroi": "amber",
        "reuse_vacant_items": "none",
        "reuse_vacant_kg": "none",
        "reuse_repair_items": "none",
        "reuse_repair_kg": "none",
        "fee": "none",
    }
    grade = card.figure("mean_grade")
    assert (grade.trend, grade.better) == ("down", False)  # 7.0 in 2025 Q4
    assert grade.series[-2:] == [("2025 Q4", Decimal("7.0")), ("2026 Q1", Decimal("6.5"))]
    assert len(grade.series) == 8
    assert grade.trend_text == "↓ worse than 2025 Q4"
    lead = card.figure("lead_time_p50")
    assert (lead.trend, lead.better) == ("flat", None)  # 24.0 h, as in 2025 Q4
    fee = card.figure("fee")
    assert fee.better is None


@pytest.mark.parametrize(
    ("higher", "value", "target", "status"),
    [
        (True, "80", "80", "green"),
        (True, "75", "80", "amber"),
        (True, "74.9", "80", "red"),
        (False, "5", "5", "green"),
        (False, "10", "5", "amber"),
        (False, "10.1", "5", "red"),
        (True, None, "80", "none"),
        (True, "80", None, "none"),
    ],
)
def test_green_amber_red(higher, value, target, status):
    spec = FigureSpec("x", "x", "percent", higher)
    as_decimal = lambda raw: None if raw is None else Decimal(raw)  # noqa: E731

    assert judge(spec, as_decimal(value), as_decimal(target)) == status


def test_amber_margin_of_grade_and_lead_time():
    grade = next(spec for spec in SPECS if spec.key == "mean_grade")
    lead = next(spec for spec in SPECS if spec.key == "lead_time_p90")

    assert judge(grade, Decimal("7.0"), Decimal("7.5")) == "amber"
    assert judge(grade, Decimal("6.9"), Decimal("7.5")) == "red"
    assert judge(lead, Decimal("110"), Decimal("100")) == "amber"
    assert judge(lead, Decimal("110.1"), Decimal("100")) == "red"


def test_trend_and_whether_it_is_better():
    higher = FigureSpec("x", "x", "percent", True)
    lower = FigureSpec("y", "y", "percent", False)
    neither = FigureSpec("z", "z", "money", None)

    assert compare(higher, Decimal(2), Decimal(1)) == ("up", True)
    assert compare(lower, Decimal(2), Decimal(1)) == ("up", False)
    assert compare(lower, Decimal(1), Decimal(2)) == ("down", True)
    assert compare(higher, Decimal(1), Decimal(1)) == ("flat", None)
    assert compare(neither, Decimal(2), Decimal(1)) == ("up", None)
    assert compare(higher, None, Decimal(1)) == (None, None)


def test_the_year_combines_its_quarters(side, organisation):
    # when
    card = _card([organisation.pk], quarter=None)

    # then
    assert card.period_label == "2026"
    assert card.figure("mean_grade").value == Decimal("6.5")
    assert card.figure("mean_grade").series[-2] == ("2025", Decimal("7.0"))
    assert len(card.figure("fee").series) == 4


# -- the pages -----------------------------------------------------------------------------


def staff_url(contract, **params):
    url = reverse("admin:surveys_contractscorecard_change", args=[contract.pk])
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


@pytest.fixture
def staff_client(client, staff_user):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    client.force_login(staff_user)
    return client


def _page_figures(html: str) -> dict[str, str]:
    found = re.findall(
        r'data-key="([a-z_0-9]+)".*?<span class="scorecard-value" data-value>([^<]*)</span>',
        html,
        re.S,
    )
    return {key: unescape(value) for key, value in found}


def test_page_csv_and_pdf_agree(side, staff_client):
    # when
    page = staff_client.get(staff_url(side.contract, period="2026-Q1"))
    download = staff_client.get(staff_url(side.contract, period="2026-Q1", format="csv"))
    pdf = staff_client.get(staff_url(side.contract, period="2026-Q1", format="pdf"))

    # then
    assert page.status_code == 200
    shown = _page_figures(page.content.decode())
    assert shown["mean_grade"] == "6.5"
    assert shown["fee"] == "€ 44.38"
    rows = list(csv.DictReader(io.StringIO(download.content.decode())))
    assert {row["figure"]: row["shown"] for row in rows} == shown
    assert {row["figure"]: row["status"] for row in rows}["first_time_fix"] == "amber"
    assert pdf["Content-Type"] == "application/pdf"
    document = pypdfium2.PdfDocument(pdf.content)
    text = " ".join(page.get_textpage().get_text_range() for page in document)
    text = " ".join(text.split())
    for row in rows:
        assert f"{row['label']} {row['shown']}" in text, row["figure"]


def test_pdf_is_a4_and_not_blank(side, staff_client, tmp_path):
    # when
    pdf = staff_client.get(staff_url(side.contract, period="2026-Q1", format="pdf"))

    # then
    document = pypdfium2.PdfDocument(pdf.content)
    first = document[0]
    # A4: 210 × 297 mm, 595.3 × 841.9 points
    assert abs(first.get_width() - 595.3) < 1 and abs(first.get_height() - 841.9) < 1
    image = first.render(scale=1).to_pil().convert("L")
    image.save(tmp_path / "scorecard.png")
    assert abs(image.size[0] - 595) <= 1 and abs(image.size[1] - 842) <= 1
    dark = sum(1 for pixel in image.getdata() if pixel < 128)
    assert dark > 2000  # text and lines, not an empty page
    assert image.getextrema()[0] < 60


def test_a_period_not_understood_shows_this_quarter_and_says_so(side, staff_client):
    # when
    response = staff_client.get(staff_url(side.contract, period="2026-Q9"))

    # then
    assert response.status_code == 200
    assert "is not one we know" in response.content.decode()
    assert response.context["cards"][0].period_label == "2026 Q2"


def test_staff_of_another_association_get_404(side, client, other_staff_user):
    # given
    client.force_login(other_staff_user)

    # when
    answers = [
        client.get(staff_url(side.contract)).status_code,
        client.get(staff_url(side.contract, format="csv")).status_code,
        client.get(staff_url(side.contract, format="pdf")).status_code,
    ]

    # then
    assert answers == [404, 404, 404]


def test_staff_list_shows_this_quarters_contracts(side, staff_client, other_organisation):
    # given a contract of another association
    quarter_build(other_organisation, area_name="Strijp", targets=False)

    # when
    response = staff_client.get(reverse("admin:surveys_contractscorecard_changelist"))

    # then
    assert response.status_code == 200
    assert [contract.pk for contract in response.context["cl"].result_list] == [side.contract.pk]
    body = response.content.decode()
    assert "Strijp" not in body
    assert "Tenant grade (mean)" in body


def test_contractor_sees_its_own_scorecards_per_association(
    db, clock, organisation, other_organisation, english_client
):
    # given one contractor working for two associations
    first = quarter_build(organisation)
    second = quarter_build(other_organisation, contractor=first.contractor, area_name="Strijp")
    stranger = quarter_build(organisation, area_name="Gestel", targets=False)
    kpi_rollup_rebuild()
    planner = factories.planner_create(first.contractor, email="planner@aalbers.nl")
    other_planner = factories.planner_create(stranger.contractor, email="planner@ander.nl")
    client = english_client(planner)

    # when
    page = client.get(reverse("contractor_scorecards"), {"period": "2026-Q1"})
    own = client.get(reverse("contractor_scorecard", args=[second.contract.pk]))
    foreign = client.get(reverse("contractor_scorecard", args=[stranger.contract.pk]))
    by_other = english_client(other_planner).get(
        reverse("contractor_scorecard", args=[first.contract.pk])
    )

    # then
    assert page.status_code == 200
    body = unescape(page.content.decode())
    assert "Housing association Woonstichting Kempenland · 2026 Q1" in body
    assert "Housing association Woonbron Dommeldal · 2026 Q1" in body
    assert "Gestel" not in body
    assert own.status_code == 200
    assert (foreign.status_code, by_other.status_code) == (404, 404)


def test_tenant_and_staff_do_not_reach_the_contractor_scorecards(side, tenant_client, staff_client):
    assert tenant_client.get(reverse("contractor_scorecards")).status_code == 404
    assert staff_client.get(reverse("contractor_scorecards")).status_code == 404


# -- queries ---------------------------------------------------------------------------------


def test_queries_do_not_grow_with_contracts(db, clock, organisation, staff_user, client):
    # given
    first = quarter_build(organisation)
    kpi_rollup_rebuild()
    client.force_login(staff_user)
    planner = factories.planner_create(first.contractor, email="planner@aalbers.nl")

    def measure():
        return (
            count_statements(
                lambda: contract_scorecards(
                    organisation_ids=[organisation.pk], year=2026, quarter=1
                )
            ),
            count_statements(
                lambda: client.get(reverse("admin:surveys_contractscorecard_changelist"))
            ),
            count_statements(lambda: client.get(staff_url(first.contract))),
        )

    with_one = measure()
    for number in range(49):
        quarter_build(organisation, contractor=first.contractor, area_name=f"Wijk {number}")
    kpi_rollup_rebuild()
    with_fifty = measure()

    # the contractor's page too
    client.force_login(planner)
    contractor_fifty = count_statements(lambda: client.get(reverse("contractor_scorecards")))

    # then
    assert len(contract_scorecards(organisation_ids=[organisation.pk], year=2026, quarter=1)) == 50
    assert with_fifty == with_one
    assert contractor_fifty <= with_one[0] + 12


def test_a_contractor_sees_every_association_without_scope(side):
    card = _card(ALL_ASSOCIATIONS, contractor_id=side.contractor.pk)
    assert card.contract == side.contract


def test_the_page_reads_dutch(side, client, staff_user):
    # given staff reading Dutch
    client.force_login(staff_user)

    # when
    page = client.get(staff_url(side.contract, period="2026-Q1"), HTTP_ACCEPT_LANGUAGE="nl")

    # then
    body = unescape(page.content.decode())
    assert "Gebiedsscorekaart" in body
    assert "Huurdersoordeel (gemiddeld)" in body
    assert "Doel net gemist" in body
    assert "6,5" in body
