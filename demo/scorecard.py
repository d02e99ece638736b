"""The demo's area scorecard: CBS neighbourhood codes on the demo dwellings (by street), the
associations' neighbourhood lists made from them, the SROI contributions placed in a
neighbourhood of their contract's area, and targets on the demo contracts.

The codes are shaped as CBS buurt codes (BU + municipality: 0772 Eindhoven, 0796
's-Hertogenbosch, 1771 Geldrop-Mierlo + district + neighbourhood) for the demo's own streets; they are not
looked up at CBS.

Targets: every contract gets the targets of Dutch chain practice (TARGETS). The history is
built relative to today, so a fixed target could land every figure in one colour; the first
contract of each association (the one the README's tenant lives in) therefore gets three of
its targets set against this quarter's figures as they stand when the demo is written, so its
scorecard shows a figure on target (green), one just off (amber) and one off (red). Early in a
quarter, before its first repairs are completed, the SROI figure is the one judged.

A contract that has any target keeps its targets: a second run changes nothing."""

from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from contractors.models import TARGET_FIELDS, Contract, SroiContribution
from portal.models import Dwelling, Neighbourhood, Organisation
from portal.services import neighbourhoods_from_dwellings
from surveys.rollup import kpi_rollup_refresh
from surveys.scorecard import SPECS, contract_scorecards, current_period, judge

# street -> (CBS buurt code, neighbourhood name)
NEIGHBOURHOODS: dict[str, tuple[str, str]] = {
    # De Kempen, Eindhoven: Centrum
    "Kerkstraat": ("BU07720011", "Binnenstad"),
    "Nieuwstraat": ("BU07720011", "Binnenstad"),
    "Begijnenhof": ("BU07720011", "Binnenstad"),
    "Wilhelminaplein": ("BU07720012", "Wilhelminaplein"),
    "Smalle Haven": ("BU07720012", "Wilhelminaplein"),
    "Molenstraat": ("BU07720013", "Bergen"),
    "Hoogstraat": ("BU07720013", "Bergen"),
    "Bleekstraat": ("BU07720014", "Witte Dame"),
    "Tramstraat": ("BU07720014", "Witte Dame"),
    "Kanaaldijk": ("BU07720014", "Witte Dame"),
    # Noord
    "Merelstraat": ("BU07720521", "Vogelbuurt"),
    "Lijsterstraat": ("BU07720521", "Vogelbuurt"),
    "Spreeuwenlaan": ("BU07720521", "Vogelbuurt"),
    "Kievitstraat": ("BU07720522", "Vinkenhof"),
    "Vinkenhof": ("BU07720522", "Vinkenhof"),
    "Mezenlaan": ("BU07720523", "Reigerbuurt"),
    "Reigerstraat": ("BU07720523", "Reigerbuurt"),
    # Zuid
    "Tulpstraat": ("BU07720741", "Bloemenbuurt"),
    "Rozenlaan": ("BU07720741", "Bloemenbuurt"),
    "Narcisstraat": ("BU07720741", "Bloemenbuurt"),
    "Anjerstraat": ("BU07720741", "Bloemenbuurt"),
    "Rembrandtlaan": ("BU07720742", "Schildersbuurt"),
    "Vermeerstraat": ("BU07720742", "Schildersbuurt"),
    "Frans Halsstraat": ("BU07720742", "Schildersbuurt"),
    "Seringenhof": ("BU07720743", "Seringenhof"),
    # the dwelling in Geldrop that no area covers yet (Geldrop-Mierlo, 1771)
    "Mierloseweg": ("BU17710101", "Geldrop-Centrum"),
    # Maasoever, 's-Hertogenbosch
    "Orthenstraat": ("BU07960111", "Het Zand"),
    "Muntelbolwerk": ("BU07960112", "De Muntel"),
    "Boschveldweg": ("BU07960113", "Boschveld"),
    "Helftheuvelweg": ("BU07960221", "Helftheuvel"),
}

# The targets of Dutch chain practice, for every demo contract.
TARGETS: dict[str, Decimal | int] = {
    "target_mean_grade": Decimal("7.5"),
    "target_low_grades_percent": Decimal("10"),
    "target_response_rate_percent": Decimal("35"),
    "target_first_time_fix_percent": Decimal("80"),
    "target_emergency_within_norm_percent": Decimal("90"),
    "target_repair_within_norm_percent": Decimal("85"),
    "target_lead_time_p90_hours": 240,
    "target_appointments_kept_percent": Decimal("90"),
    "target_repeat_repairs_percent": Decimal("5"),
}


def demo_scorecard_write() -> dict[str, int]:
    """Write what is missing; returns what was added or changed."""
    with transaction.atomic():
        coded = _dwellings_code()
        added = sum(
            neighbourhoods_from_dwellings(organisation_id=pk)
            for pk in Organisation.objects.order_by("pk").values_list("pk", flat=True)
        )
        placed = _contributions_place()
        contracts = list(
            Contract.objects.filter(_without_targets())
            .select_related("organisation")
            .order_by("organisation_id", "pk")
        )
        if contracts:
            # the scorecard reads the monthly rollup: bring this quarter up to date first
            kpi_rollup_refresh(recent_months=3)
            for contract in contracts:
                Contract.objects.filter(pk=contract.pk).update(**TARGETS)
            _showcase_targets(contracts)
    return {
        "dwellings": coded,
        "neighbourhoods": added,
        "contributions": placed,
        "contracts": len(contracts),
    }


def _without_targets() -> Q:
    condition = Q()
    for name in TARGET_FIELDS:
        condition &= Q(**{f"{name}__isnull": True})
    return condition


def _dwellings_code() -> int:
    coded = 0
    for street, (code, name) in NEIGHBOURHOODS.items():
        coded += Dwelling.objects.filter(street=street, cbs_buurt_code="").update(
            cbs_buurt_code=code, neighbourhood_name=name
        )
    return coded


def _contributions_place() -> int:
    """Each contribution without a neighbourhood goes to one of its area's neighbourhoods,
    taken in turn (by the order of the codes), so the ledger totals over several."""
    by_area: dict[int, list[int]] = {}
    for area_id, code in (
        Dwelling.objects.filter(area_link__area__isnull=False)
        .exclude(cbs_buurt_code="")
        .values_list("area_link__area_id", "cbs_buurt_code")
        .distinct()
        .order_by("area_link__area_id", "cbs_buurt_code")
    ):
        by_area.setdefault(area_id, []).append(code)
    codes = {
        (organisation_id, code): pk
        for pk, organisation_id, code in Neighbourhood.objects.exclude(cbs_buurt_code="")
        .values_list("pk", "organisation_id", "cbs_buurt_code")
        .order_by()
    }
    placed = 0
    contributions = (
        SroiContribution.objects.filter(buurt__isnull=True)
        .values_list("pk", "organisation_id", "contract__area_id")
        .order_by("contract__area_id", "date", "pk")
    )
    turn: dict[int, int] = {}
    for pk, organisation_id, area_id in contributions:
        area_codes = by_area.get(area_id)
        if not area_codes:
            continue
        index = turn.get(area_id, 0)
        turn[area_id] = index + 1
        neighbourhood = codes.get((organisation_id, area_codes[index % len(area_codes)]))
        if neighbourhood is not None:
            placed += SroiContribution.objects.filter(pk=pk).update(buurt_id=neighbourhood)
    return placed


def _showcase_targets(contracts: list[Contract]) -> None:
    """The targets of each association's first contract that, set against this quarter's
    figures, give its scorecard a colour it lacks with the targets of practice: a figure
    met, one just missed, one missed. A colour the card shows only once is left as it is."""
    firsts: dict[int, Contract] = {}
    for contract in contracts:
        firsts.setdefault(contract.organisation_id, contract)
    year, quarter = current_period(timezone.localdate())
    cards = contract_scorecards(
        organisation_ids=sorted(firsts),
        year=year,
        quarter=quarter,
        contract_ids=[contract.pk for contract in firsts.values()],
    )
    specs = {spec.key: spec for spec in SPECS}
    for card in cards:
        counts = dict.fromkeys(("green", "amber", "red", "none"), 0)
        for figure in card.figures:
            counts[figure.status] += 1
        changes: dict = {}
        for figure in card.figures:
            wanted = [status for status in ("green", "amber", "red") if not counts[status]]
            spec = specs[figure.key]
            if (
                not wanted
                or spec.target_field is None
                or figure.value is None
                # a colour the card shows only once stays
                or (figure.status != "none" and counts[figure.status] < 2)
            ):
                continue
            for status in wanted:
                target = _target_for(spec, figure.value, status)
                if target is not None and judge(spec, figure.value, target) == status:
                    changes[spec.target_field] = target
                    counts[figure.status] -= 1
                    counts[status] += 1
                    break
        if changes:
            Contract.objects.filter(pk=card.contract.pk).update(**changes)


def _target_for(spec, value: Decimal, status: str) -> Decimal | None:
    """A round target that puts the figure in the status, or None if none fits."""
    if spec.kind == "grade":
        step, margin, top = Decimal("0.1"), Decimal("0.5"), Decimal("10")
    elif spec.kind == "hours":
        step, margin, top = Decimal("1"), value / 10, None
    else:
        step, margin, top = Decimal("1"), Decimal("5"), Decimal("100")
    higher = spec.higher_is_better
    if status == "green":
        # a round target the figure meets: a half point, 5 percentage points, 10 hours
        step = {"grade": Decimal("0.5"), "hours": Decimal("10")}.get(spec.kind, Decimal("5"))
        target = value
        rounding = ROUND_FLOOR if higher else ROUND_CEILING
    elif status == "amber":
        target = value + margin / 2 if higher else value - margin / 2
        rounding = ROUND_FLOOR if higher else ROUND_CEILING
    else:
        target = value + margin * 3 if higher else value - margin * 3
        rounding = ROUND_CEILING if higher else ROUND_FLOOR
    target = (target / step).to_integral_value(rounding=rounding) * step
    if target < 0 or (top is not None and target > top):
        return None
    if spec.kind == "hours":
        return int(target) if target >= 1 else None
    return target
