"""Each dwelling's stored area (contractors.models.DwellingArea): it always equals what the
postcode rules say, whatever is changed and by which write path, and routing and fees read
it — so the contract a dwelling's repairs go to is the contract that is paid for it."""

import datetime
import io
import threading
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from contractors import fees
from contractors.models import Area, Contract, DwellingArea, PostcodeRule
from contractors.routing import area_for_postcode, route
from portal.models import Dwelling
from portal.signals import dwellings_changed

from . import factories
from .queries import statements_of

MARCH_1, MARCH_15, MARCH_31 = (datetime.date(2026, 3, day) for day in (1, 15, 31))
DAY = datetime.timedelta(days=1)


# --- the rules as a pure-Python model -------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    organisation_id: int
    area_id: int
    range_start: int | None
    range_end: int | None
    postcode: str | None


def expected_area(rules: list[Rule], organisation_id: int, postcode: str) -> int | None:
    """What the rules give a postcode: a full-postcode rule beats a range; no rule, no area."""
    own = [rule for rule in rules if rule.organisation_id == organisation_id]
    for rule in own:
        if rule.postcode == postcode:
            return rule.area_id
    digits = int(postcode[:4])
    hits = [
        rule.area_id
        for rule in own
        if rule.postcode is None and rule.range_start <= digits <= rule.range_end
    ]
    assert len(hits) <= 1, "the rules of one association never overlap"
    return hits[0] if hits else None


def rules_now() -> list[Rule]:
    return [
        Rule(*row)
        for row in PostcodeRule.objects.values_list(
            "organisation_id", "area_id", "range_start", "range_end", "postcode"
        )
    ]


def stored_areas() -> dict[int, int | None]:
    return dict(DwellingArea.objects.values_list("dwelling_id", "area_id"))


# --- changes through the real write paths ---------------------------------------------------

# A narrow band of postcodes, so that rules and dwellings meet often.
DIGITS = st.integers(min_value=1000, max_value=1012)
LETTERS = st.sampled_from(["AA", "AB", "ZZ"])
POSTCODES = st.builds("{}{}".format, DIGITS, LETTERS)
AREA = st.integers(min_value=0, max_value=2)
PICK = st.integers(min_value=0, max_value=50)  # an index into what exists, modulo its size
RANGES = st.tuples(DIGITS, st.integers(min_value=0, max_value=4)).map(
    lambda pair: (pair[0], pair[0] + pair[1])
)
RULE_SHAPES = st.one_of(RANGES.map(lambda r: ("range", r)), POSTCODES.map(lambda p: ("full", p)))


@st.composite
def starting_rules(draw) -> list[tuple[int, tuple]]:
    """Disjoint ranges and a few full postcodes, each in one of the three areas."""
    points = sorted(draw(st.lists(DIGITS, max_size=6, unique=True)))
    rules = [
        (draw(AREA), ("range", (start, end)))
        for start, end in zip(points[::2], points[1::2], strict=False)
    ]
    for postcode in draw(st.lists(POSTCODES, max_size=3, unique=True)):
        rules.append((draw(AREA), ("full", postcode)))
    return rules


OPERATIONS = st.one_of(
    st.tuples(st.just("admin_add_rule"), AREA, RULE_SHAPES),
    st.tuples(st.just("admin_edit_rule"), PICK, AREA, RULE_SHAPES),
    st.tuples(st.just("admin_delete_rule"), PICK),
    st.tuples(st.just("model_add_rule"), AREA, RULE_SHAPES),
    st.tuples(st.just("model_delete_rule"), PICK),
    st.tuples(st.just("delete_area"), AREA),
    st.tuples(st.just("add_dwelling"), POSTCODES),
    st.tuples(st.just("move_dwelling"), PICK, POSTCODES),
    st.tuples(st.just("save_without_address"), PICK),
    st.tuples(st.just("import_dwellings"), st.lists(POSTCODES, min_size=1, max_size=3)),
    st.tuples(st.just("import_moves"), POSTCODES, POSTCODES),
)


@dataclass
class World:
    organisation: object
    areas: list  # index -> Area or None once deleted
    staff_client: object
    other_organisation: object
    contracts: list = field(default_factory=list)
    references: int = 0


def rule_form(world: World, area: Area, shape) -> dict:
    kind, value = shape
    start, end = value if kind == "range" else ("", "")
    return {
        "organisation": str(world.organisation.pk),
        "area": str(area.pk),
        "range_start": str(start),
        "range_end": str(end),
        "postcode": value if kind == "full" else "",
        "_save": "Save",
    }


def _pick(queryset, index: int):
    rows = list(queryset.order_by("pk"))
    return rows[index % len(rows)] if rows else None


def apply(world: World, operation: tuple) -> None:
    """One change, made the way the portal makes it."""
    kind, *args = operation
    own_rules = PostcodeRule.objects.filter(organisation=world.organisation)
    own_dwellings = Dwelling.objects.filter(organisation=world.organisation)
    client = world.staff_client
    if kind in ("admin_add_rule", "model_add_rule"):
        area = world.areas[args[0]]
        if area is None:
            return
        if kind == "admin_add_rule":
            # an overlapping rule is refused by the form, and nothing changes
            client.post(
                reverse("admin:contractors_postcoderule_add"), rule_form(world, area, args[1])
            )
            return
        shape_kind, value = args[1]
        rule = PostcodeRule(
            organisation=world.organisation,
            area=area,
            range_start=value[0] if shape_kind == "range" else None,
            range_end=value[1] if shape_kind == "range" else None,
            postcode=value if shape_kind == "full" else None,
        )
        try:
            rule.full_clean()
        except ValidationError:  # a clash: the admin would refuse it too
            return
        rule.save()
    elif kind == "admin_edit_rule":
        rule, area = _pick(own_rules, args[0]), world.areas[args[1]]
        if rule is None or area is None:
            return
        client.post(
            reverse("admin:contractors_postcoderule_change", args=[rule.pk]),
            rule_form(world, area, args[2]),
        )
    elif kind == "admin_delete_rule":
        rule = _pick(own_rules, args[0])
        if rule is not None:
            client.post(
                reverse("admin:contractors_postcoderule_delete", args=[rule.pk]), {"post": "yes"}
            )
    elif kind == "model_delete_rule":
        rule = _pick(own_rules, args[0])
        if rule is not None:
            rule.delete()
    elif kind == "delete_area":
        # an area without contracts may go; its rules go with it
        area = world.areas[args[0]]
        if area is not None and not Contract.objects.filter(area=area).exists():
            area.delete()
            world.areas[args[0]] = None
    elif kind == "add_dwelling":
        factories.DwellingFactory(organisation=world.organisation, postcode=args[0])
    elif kind == "move_dwelling":
        dwelling = _pick(own_dwellings, args[0])
        if (
            dwelling is not None
            and not own_dwellings.filter(
                postcode=args[1], house_number=dwelling.house_number
            ).exists()
        ):
            dwelling.postcode = args[1]
            dwelling.save()
    elif kind == "save_without_address":
        dwelling = _pick(own_dwellings, args[0])
        if dwelling is not None:
            dwelling.is_vacant = not dwelling.is_vacant
            dwelling.save(update_fields=["is_vacant"])
    elif kind == "import_dwellings":
        # the ERP import's bulk write, which announces what it wrote
        created = Dwelling.objects.bulk_create(
            factories.DwellingFactory.build(organisation=world.organisation, postcode=postcode)
            for postcode in args[0]
        )
        dwellings_changed.send(
            sender=Dwelling,
            organisation_id=world.organisation.pk,
            dwelling_ids=[dwelling.pk for dwelling in created],
        )
    elif kind == "import_moves":
        # a bulk update of postcodes, announced for the whole association
        old, new = args
        for dwelling in own_dwellings.filter(postcode=old):
            if not own_dwellings.filter(postcode=new, house_number=dwelling.house_number).exists():
                Dwelling.objects.filter(pk=dwelling.pk).update(postcode=new)
        dwellings_changed.send(
            sender=Dwelling, organisation_id=world.organisation.pk, dwelling_ids=None
        )
    else:  # pragma: no cover - a typo in OPERATIONS
        raise AssertionError(kind)


def check(world: World) -> None:
    """The stored area equals the rules' answer for every dwelling of both associations, and
    the contract routing gives a dwelling is the contract the fee statement pays for it."""
    rules = rules_now()
    dwellings = list(Dwelling.objects.order_by("pk"))
    expected = {d.pk: expected_area(rules, d.organisation_id, d.postcode) for d in dwellings}
    assert stored_areas() == expected

    own = [d for d in dwellings if d.organisation_id == world.organisation.pk]
    contracts = list(Contract.objects.filter(organisation=world.organisation))

    def runs(contract, day):
        return contract.valid_from <= day and (
            contract.valid_until is None or contract.valid_until >= day
        )

    routed = {}
    for day in (MARCH_1, MARCH_15, MARCH_31):
        for dwelling in own:
            contract = route(dwelling, day)
            wanted = [c for c in contracts if c.area_id == expected[dwelling.pk] and runs(c, day)]
            assert contract == (wanted[0] if wanted else None)
            routed[(dwelling.pk, day)] = contract
    lines = fees.fee_lines(organisation_id=world.organisation.pk, start=MARCH_1, end=MARCH_31)
    billed_start = {line.contract: line.dwellings_start for line in lines}
    billed_end = {line.contract: line.dwellings_end for line in lines}
    at_start = Counter(routed[(d.pk, MARCH_1)] for d in own)
    at_end = Counter(routed[(d.pk, MARCH_31)] for d in own)
    assert {c: n for c, n in billed_start.items() if n} == {
        c: n for c, n in at_start.items() if c is not None
    }
    assert {c: n for c, n in billed_end.items() if n} == {
        c: n for c, n in at_end.items() if c is not None
    }
    for line in lines:
        # every dwelling routed to the contract is paid for each day the contract runs
        days = sum(1 for offset in range(31) if runs(line.contract, MARCH_1 + offset * DAY))
        served = sum(1 for d in own if expected[d.pk] == line.contract.area_id)
        assert line.dwelling_days == served * days
        assert line.amount == (Decimal("180.00") * served * days / 365).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )


class TestStoredAreaProperties(TestCase):
    """hypothesis' Django TestCase runs each example in its own transaction, rolled back."""

    @settings(
        max_examples=30,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        rules=starting_rules(),
        postcodes=st.lists(POSTCODES, min_size=1, max_size=6),
        operations=st.lists(OPERATIONS, min_size=1, max_size=8),
        contract_kinds=st.tuples(*[st.sampled_from(["open", "none", "succeeded"])] * 3),
    )
    def test_the_stored_area_follows_every_change_and_routing_equals_billing(
        self, rules, postcodes, operations, contract_kinds
    ):
        # given association A with three areas (with an open contract, none, or one contract
        # succeeded by another on 16 March), a staff member of A, and association B whose
        # rules cover every postcode and whose dwellings share A's postcodes
        organisation = factories.OrganisationFactory()
        areas = [factories.AreaFactory(organisation=organisation) for _ in range(3)]
        for area, contract_kind in zip(areas, contract_kinds, strict=True):
            if contract_kind == "open":
                factories.ContractFactory(area=area)
            elif contract_kind == "succeeded":
                factories.ContractFactory(area=area, valid_until=MARCH_15)
                factories.ContractFactory(area=area, valid_from=MARCH_15 + DAY)
        staff = factories.StaffUserFactory(organisation=organisation)
        self.client.force_login(staff)
        other = factories.OrganisationFactory()
        other_area = factories.AreaFactory(organisation=other)
        factories.PostcodeRuleFactory(area=other_area, range_start=1000, range_end=9999)
        factories.PostcodeRuleFactory(
            area=other_area, range_start=None, range_end=None, postcode="1005AB"
        )
        factories.ContractFactory(area=other_area)
        for postcode in ("1000AA", "1005AB", "1012ZZ"):
            factories.DwellingFactory(organisation=other, postcode=postcode)
        world = World(organisation, areas, self.client, other)
        # and A's starting rules and dwellings, in either order
        for area_index, shape in rules:
            apply(world, ("model_add_rule", area_index, shape))
        for postcode in postcodes:
            apply(world, ("add_dwelling", postcode))
        check(world)

        # when the changes are made one by one, then after each the property holds
        for operation in operations:
            apply(world, operation)
            check(world)


# --- the write paths one by one ---------------------------------------------------------------


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def area_of(dwelling: Dwelling) -> str | None:
    link = DwellingArea.objects.select_related("area").get(dwelling=dwelling)
    return link.area.name if link.area else None


@pytest.mark.django_db
def test_rules_added_in_the_area_inline_place_existing_dwellings(staff_client, organisation):
    # given dwellings that no rule covers yet
    inside = factories.DwellingFactory(organisation=organisation, postcode="5611AB")
    exception = factories.DwellingFactory(organisation=organisation, postcode="5630AB")
    outside = factories.DwellingFactory(organisation=organisation, postcode="5700AB")
    assert [area_of(d) for d in (inside, exception, outside)] == [None, None, None]

    # when staff add area Centrum with a range and a full postcode in one form
    response = staff_client.post(
        reverse("admin:contractors_area_add"),
        {
            "organisation": str(organisation.pk),
            "name": "Centrum",
            "rules-TOTAL_FORMS": "2",
            "rules-INITIAL_FORMS": "0",
            "rules-MIN_NUM_FORMS": "0",
            "rules-MAX_NUM_FORMS": "1000",
            "rules-0-range_start": "5611",
            "rules-0-range_end": "5620",
            "rules-0-postcode": "",
            "rules-1-range_start": "",
            "rules-1-range_end": "",
            "rules-1-postcode": "5630 AB",
            "_save": "Save",
        },
    )

    # then
    assert response.status_code == 302
    assert [area_of(d) for d in (inside, exception, outside)] == ["Centrum", "Centrum", None]


@pytest.mark.django_db
def test_a_rule_edited_or_deleted_in_the_admin_moves_what_it_held_and_lets_go_of_the_rest(
    staff_client, organisation
):
    # given Centrum holds 5611–5620 and Strijp the full postcode 5612CD within it
    centrum = factories.AreaFactory(organisation=organisation, name="Centrum")
    strijp = factories.AreaFactory(organisation=organisation, name="Strijp")
    woensel = factories.AreaFactory(organisation=organisation, name="Woensel")
    rule = factories.PostcodeRuleFactory(area=centrum, range_start=5611, range_end=5620)
    exception = factories.PostcodeRuleFactory(
        area=strijp, range_start=None, range_end=None, postcode="5612CD"
    )
    low, high, special = (
        factories.DwellingFactory(organisation=organisation, postcode=postcode)
        for postcode in ("5611AB", "5619AB", "5612CD")
    )
    before = [area_of(d) for d in (low, high, special)]

    # when the range shrinks to 5611–5615 and moves to Woensel, and then the exception goes
    edited = staff_client.post(
        reverse("admin:contractors_postcoderule_change", args=[rule.pk]),
        {
            "organisation": str(organisation.pk),
            "area": str(woensel.pk),
            "range_start": "5611",
            "range_end": "5615",
            "postcode": "",
            "_save": "Save",
        },
    )
    after_edit = [area_of(d) for d in (low, high, special)]
    deleted = staff_client.post(
        reverse("admin:contractors_postcoderule_delete", args=[exception.pk]), {"post": "yes"}
    )

    # then
    assert (edited.status_code, deleted.status_code) == (302, 302)
    assert before == ["Centrum", "Centrum", "Strijp"]
    assert after_edit == ["Woensel", None, "Strijp"]
    assert [area_of(d) for d in (low, high, special)] == ["Woensel", None, "Woensel"]


@pytest.mark.django_db
def test_a_refused_rule_changes_no_dwelling(staff_client, organisation):
    # given Centrum holds 5611–5620, Strijp 5621–5630
    centrum = factories.AreaFactory(organisation=organisation, name="Centrum")
    strijp = factories.AreaFactory(organisation=organisation, name="Strijp")
    factories.PostcodeRuleFactory(area=centrum, range_start=5611, range_end=5620)
    factories.PostcodeRuleFactory(area=strijp, range_start=5621, range_end=5630)
    dwelling = factories.DwellingFactory(organisation=organisation, postcode="5615AB")

    # when staff try to give Strijp a range that overlaps Centrum's
    response = staff_client.post(
        reverse("admin:contractors_postcoderule_add"),
        {
            "organisation": str(organisation.pk),
            "area": str(strijp.pk),
            "range_start": "5615",
            "range_end": "5616",
            "postcode": "",
            "_save": "Save",
        },
    )

    # then
    assert response.status_code == 200
    assert area_of(dwelling) == "Centrum"


@pytest.mark.django_db
def test_deleting_an_area_leaves_its_dwellings_without_one(organisation):
    # given
    area = factories.AreaFactory(organisation=organisation, name="Centrum")
    factories.PostcodeRuleFactory(area=area, range_start=5611, range_end=5620)
    dwelling = factories.DwellingFactory(organisation=organisation, postcode="5611AB")
    assert area_of(dwelling) == "Centrum"

    # when
    area.delete()

    # then
    assert area_of(dwelling) is None
    assert not Area.objects.exists()


@pytest.mark.django_db
def test_a_dwelling_that_moves_follows_its_new_postcode(organisation):
    # given
    centrum = factories.AreaFactory(organisation=organisation, name="Centrum")
    factories.PostcodeRuleFactory(area=centrum, range_start=5611, range_end=5620)
    strijp = factories.AreaFactory(organisation=organisation, name="Strijp")
    factories.PostcodeRuleFactory(area=strijp, range_start=5621, range_end=5630)
    dwelling = factories.DwellingFactory(organisation=organisation, postcode="5611AB")

    # when
    dwelling.postcode = "5622AB"
    dwelling.save()

    # then
    assert area_of(dwelling) == "Strijp"


@pytest.mark.django_db
def test_a_save_that_does_not_touch_the_address_asks_nothing_more(
    organisation, django_assert_num_queries
):
    # given
    dwelling = factories.DwellingFactory(organisation=organisation, postcode="5611AB")
    dwelling.is_vacant = True

    # when / then: only the UPDATE of the dwelling itself (an address change adds a lock and one
    # statement)
    with django_assert_num_queries(1):
        dwelling.save(update_fields=["is_vacant"])


@pytest.mark.django_db
def test_dwellings_changed_refreshes_named_dwellings_or_the_whole_association(
    organisation, other_organisation
):
    # given dwellings written in bulk, past the model's signals, in two associations
    area = factories.AreaFactory(organisation=organisation, name="Centrum")
    factories.PostcodeRuleFactory(area=area, range_start=5611, range_end=5620)
    others = factories.AreaFactory(organisation=other_organisation, name="Elders")
    factories.PostcodeRuleFactory(area=others, range_start=5611, range_end=5620)
    first, second = Dwelling.objects.bulk_create(
        factories.DwellingFactory.build(organisation=organisation, postcode=postcode)
        for postcode in ("5611AB", "5612AB")
    )
    (foreign,) = Dwelling.objects.bulk_create(
        [factories.DwellingFactory.build(organisation=other_organisation, postcode="5611AB")]
    )

    # when the import announces the first by id, then the whole association
    dwellings_changed.send(
        sender=Dwelling, organisation_id=organisation.pk, dwelling_ids=[first.pk]
    )
    after_one = set(DwellingArea.objects.values_list("dwelling_id", flat=True))
    dwellings_changed.send(sender=Dwelling, organisation_id=organisation.pk, dwelling_ids=None)

    # then only the announced ones, and never the other association's
    assert after_one == {first.pk}
    assert stored_areas() == {first.pk: area.pk, second.pk: area.pk}
    assert foreign.pk not in stored_areas()


@pytest.mark.django_db
def test_a_bulk_insert_nobody_announced_is_still_billed(organisation):
    # given a contract and dwellings bulk-inserted without dwellings_changed
    contract = factories.ContractFactory(
        area=factories.AreaFactory(organisation=organisation),
        fee_per_dwelling_year=Decimal("365.00"),
    )
    factories.PostcodeRuleFactory(area=contract.area, range_start=5611, range_end=5611)
    Dwelling.objects.bulk_create(
        factories.DwellingFactory.build(organisation=organisation, postcode="5611AB")
        for _ in range(3)
    )

    # when
    (line,) = fees.fee_lines(organisation_id=organisation.pk, start=MARCH_1, end=MARCH_31)

    # then 3 dwellings × 31 days × € 1 a day
    assert (line.dwellings_end, line.dwelling_days, line.amount) == (3, 93, Decimal("93.00"))
    assert DwellingArea.objects.count() == 3


@pytest.mark.django_db
def test_the_command_recomputes_everything_and_a_second_run_changes_nothing(
    organisation, other_organisation
):
    # given stored areas that drifted (rules moved by a bulk UPDATE, past the signals)
    old = factories.AreaFactory(organisation=organisation, name="Oud")
    new = factories.AreaFactory(organisation=organisation, name="Nieuw")
    factories.PostcodeRuleFactory(area=old, range_start=5611, range_end=5620)
    dwellings = factories.DwellingFactory.create_batch(
        3, organisation=organisation, postcode="5611AB"
    )
    others = factories.AreaFactory(organisation=other_organisation, name="Elders")
    factories.PostcodeRuleFactory(area=others, range_start=5611, range_end=5620)
    foreign = factories.DwellingFactory(organisation=other_organisation, postcode="5611AB")
    PostcodeRule.objects.filter(area=old).update(area=new)
    PostcodeRule.objects.filter(area=others).update(range_start=5700, range_end=5799)

    # when
    def run(*args) -> str:
        out = io.StringIO()
        call_command("refresh_dwelling_areas", *args, stdout=out)
        return out.getvalue()

    one = run("--organisation", organisation.slug)
    foreign_after_one = area_of(foreign)
    everything = run()
    again = run()

    # then
    assert "3 written or changed" in one
    assert foreign_after_one == "Elders"
    assert "1 written or changed" in everything
    assert "0 written or changed" in again
    assert [area_of(d) for d in dwellings] == ["Nieuw"] * 3
    assert area_of(foreign) is None
    with pytest.raises(CommandError):
        run("--organisation", "no-such-association")


@pytest.mark.django_db
def test_area_for_postcode_answers_for_an_address_that_is_no_dwelling(organisation):
    # given
    centrum = factories.AreaFactory(organisation=organisation, name="Centrum")
    strijp = factories.AreaFactory(organisation=organisation, name="Strijp")
    factories.PostcodeRuleFactory(area=centrum, range_start=5611, range_end=5620)
    factories.PostcodeRuleFactory(area=strijp, range_start=None, range_end=None, postcode="5612CD")

    # when
    answers = [
        area_for_postcode(organisation_id=organisation.pk, postcode=postcode)
        for postcode in ("5611AA", "5612CD", "5621AA")
    ]

    # then
    assert answers == [centrum, strijp, None]


# --- one aggregate per statement ----------------------------------------------------------------


def _world(organisation, contracts: int, dwellings_per_area: int) -> None:
    for index in range(contracts):
        contract = factories.ContractFactory(area=factories.AreaFactory(organisation=organisation))
        factories.PostcodeRuleFactory(
            area=contract.area, range_start=5611 + index, range_end=5611 + index
        )
        factories.ContractTypeFeeFactory(contract=contract)
        factories.DwellingFactory.create_batch(
            dwellings_per_area, organisation=organisation, postcode=f"{5611 + index}AB"
        )


@pytest.mark.django_db
@pytest.mark.parametrize(("contracts", "dwellings_per_area"), [(1, 1), (5, 10)])
def test_a_statement_is_one_aggregate_whatever_its_size(
    organisation, contracts, dwellings_per_area
):
    # given
    _world(organisation, contracts, dwellings_per_area)

    # when
    found = []
    statements = statements_of(
        lambda: found.extend(
            fees.fee_lines(organisation_id=organisation.pk, start=MARCH_1, end=MARCH_31)
        )
    )
    lines = found

    # then: the contracts, their type fees, the guard for unannounced dwellings, one aggregate
    assert [line.dwellings_end for line in lines] == [dwellings_per_area] * contracts
    assert len(statements) == 4
    assert sum("GROUP BY" in sql for sql in statements) == 1


# --- a rule change and a new dwelling at the same moment --------------------------------------


def test_a_dwelling_added_while_a_rule_changes_gets_the_new_rules_area(
    postgres_only, transactional_db, organisation
):
    # given staff adding a rule for 5611–5620 (saved, not yet committed) while the ERP import
    # adds a dwelling in 5615 at the same moment
    area = factories.AreaFactory(organisation=organisation, name="Centrum")
    rule_saved, dwelling_written = threading.Event(), threading.Event()
    errors: list[Exception] = []

    def add_rule() -> None:
        try:
            with transaction.atomic():
                factories.PostcodeRuleFactory(area=area, range_start=5611, range_end=5620)
                rule_saved.set()
                # Hold the transaction open while the import writes, or for a second if the
                # import has to wait for it.
                dwelling_written.wait(timeout=1)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    def add_dwelling() -> None:
        try:
            rule_saved.wait(timeout=30)
            with transaction.atomic():
                factories.DwellingFactory(organisation=organisation, postcode="5615AB")
            dwelling_written.set()
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    # when both run
    threads = [threading.Thread(target=add_rule), threading.Thread(target=add_dwelling)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    # then the dwelling's stored area is the new rule's, not the one from before it
    assert errors == []
    (dwelling,) = Dwelling.objects.all()
    assert area_of(dwelling) == "Centrum"
