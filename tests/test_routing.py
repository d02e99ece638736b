"""Routing (DESIGN.md, Routing): which contract covers a dwelling on a date, the rules' guards
in the admin and the database, and what happens to a request that no rule covers."""

import datetime
from dataclasses import dataclass

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils.translation import override
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from contractors.models import Area, Contract, ContractTypeFee, PostcodeRule
from contractors.routing import route
from repairs import services
from repairs.lifecycle import Status
from repairs.models import RepairEvent, RepairRequest
from repairs.tasks import unrouted_request_alert

from . import factories

ON_DATE = datetime.date(2026, 3, 16)
DAY = datetime.timedelta(days=1)


# --- the rules as a pure-Python model, compared with route() ------------------------------

# A narrow band of digits and letters, so generated postcodes hit the generated rules often.
DIGITS = st.integers(min_value=1000, max_value=1040)
LETTERS = st.sampled_from(["AA", "AB", "ZZ"])
POSTCODES = st.builds(lambda digits, letters: f"{digits}{letters}", DIGITS, LETTERS)
# What an area's contracts look like around the routing date; mostly one is valid then.
CONTRACT_STATES = st.sampled_from(
    ["valid", "open", "succeeded", "valid", "open", "succeeded", "none", "expired", "future"]
)


@dataclass(frozen=True)
class Chain:
    area_count: int
    ranges: tuple[tuple[int, int, int], ...]  # (start, end, area index), disjoint
    full_postcodes: dict[str, int]  # postcode -> area index
    contract_states: tuple[str, ...]  # one per area
    postcode: str  # the dwelling's


@st.composite
def chains(draw) -> Chain:
    area_count = draw(st.integers(min_value=1, max_value=4))
    area_index = st.integers(min_value=0, max_value=area_count - 1)
    points = sorted(draw(st.lists(DIGITS, max_size=10, unique=True)))
    ranges = []
    for start, end in zip(points[::2], points[1::2], strict=False):
        if draw(st.booleans()):
            end = start  # a range of one four-digit number
        ranges.append((start, end, draw(area_index)))
    full_postcodes = draw(st.dictionaries(POSTCODES, area_index, max_size=4))
    contract_states = tuple(
        draw(st.lists(CONTRACT_STATES, min_size=area_count, max_size=area_count))
    )
    candidates = [POSTCODES]
    if full_postcodes:
        candidates.append(st.sampled_from(sorted(full_postcodes)))
    if ranges:
        # The edges of the ranges, and the numbers just outside them.
        edges = sorted(
            {d for start, end, _ in ranges for d in (start - 1, start, end, end + 1) if d >= 1000}
        )
        candidates.append(st.builds("{}{}".format, st.sampled_from(edges), LETTERS))
        inside = st.sampled_from(ranges).flatmap(lambda rule: st.integers(rule[0], rule[1]))
        candidates.append(st.builds("{}{}".format, inside, LETTERS))
    postcode = draw(st.one_of(*candidates))
    return Chain(area_count, tuple(ranges), full_postcodes, contract_states, postcode)


def expected_area_index(chain: Chain) -> int | None:
    """A full-postcode rule beats a range; no rule, no area."""
    if chain.postcode in chain.full_postcodes:
        return chain.full_postcodes[chain.postcode]
    digits = int(chain.postcode[:4])
    hits = [area for start, end, area in chain.ranges if start <= digits <= end]
    assert len(hits) <= 1, "generated ranges must be disjoint"
    return hits[0] if hits else None


def make_contracts(area: Area, state: str) -> Contract | None:
    """The area's contracts in the given state; returns the one valid on ON_DATE, if any."""
    if state == "none":
        return None
    if state == "valid":
        return factories.ContractFactory(area=area, valid_from=ON_DATE, valid_until=ON_DATE)
    if state == "open":
        return factories.ContractFactory(area=area, valid_from=ON_DATE - 400 * DAY)
    if state == "expired":
        factories.ContractFactory(
            area=area, valid_from=ON_DATE - 400 * DAY, valid_until=ON_DATE - DAY
        )
        return None
    if state == "future":
        factories.ContractFactory(area=area, valid_from=ON_DATE + DAY)
        return None
    assert state == "succeeded"
    factories.ContractFactory(area=area, valid_from=ON_DATE - 400 * DAY, valid_until=ON_DATE - DAY)
    return factories.ContractFactory(area=area, valid_from=ON_DATE, valid_until=ON_DATE + 30 * DAY)


class TestRoutingProperties(TestCase):
    """A class rather than a function: hypothesis' Django TestCase runs each example in its
    own transaction and rolls it back, so examples do not see each other's rows."""

    @settings(
        max_examples=60,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(chain=chains())
    def test_route_answers_what_the_rules_say(self, chain: Chain):
        # given the chain of association A
        organisation = factories.OrganisationFactory()
        areas = [factories.AreaFactory(organisation=organisation) for _ in range(chain.area_count)]
        for start, end, index in chain.ranges:
            factories.PostcodeRuleFactory(area=areas[index], range_start=start, range_end=end)
        for postcode, index in chain.full_postcodes.items():
            factories.PostcodeRuleFactory(
                area=areas[index], range_start=None, range_end=None, postcode=postcode
            )
        valid = [
            make_contracts(area, state)
            for area, state in zip(areas, chain.contract_states, strict=True)
        ]
        # and association B covering every postcode, which must never answer for A
        other_area = factories.AreaFactory()
        factories.PostcodeRuleFactory(area=other_area, range_start=1000, range_end=9999)
        factories.PostcodeRuleFactory(
            area=other_area, range_start=None, range_end=None, postcode=chain.postcode
        )
        factories.ContractFactory(area=other_area, valid_from=ON_DATE - 400 * DAY)
        dwelling = factories.DwellingFactory(organisation=organisation, postcode=chain.postcode)

        # when
        routed = route(dwelling, ON_DATE)

        # then
        index = expected_area_index(chain)
        expected = None if index is None else valid[index]
        assert routed == expected
        if routed is not None:
            assert (routed.organisation_id, routed.area_id) == (organisation.pk, areas[index].pk)
            assert routed.valid_from <= ON_DATE
            assert routed.valid_until is None or routed.valid_until >= ON_DATE


# --- dates -------------------------------------------------------------------------------


@pytest.fixture
def area(organisation):
    area = factories.AreaFactory(organisation=organisation, name="Centrum")
    factories.PostcodeRuleFactory(area=area, range_start=5611, range_end=5620)
    return area


@pytest.fixture
def dwelling(organisation):
    return factories.DwellingFactory(organisation=organisation, postcode="5612CD")


@pytest.mark.django_db
def test_contract_routes_from_its_first_to_its_last_day(area, dwelling):
    # given
    first, last = datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)
    contract = factories.ContractFactory(area=area, valid_from=first, valid_until=last)

    # when
    routed = [route(dwelling, day) for day in (first - DAY, first, last, last + DAY)]

    # then
    assert routed == [None, contract, contract, None]


@pytest.mark.django_db
def test_open_ended_contract_routes_from_its_first_day_on(area, dwelling):
    # given
    first = datetime.date(2026, 1, 1)
    contract = factories.ContractFactory(area=area, valid_from=first, valid_until=None)

    # when
    routed = [route(dwelling, day) for day in (first - DAY, first, first + 3650 * DAY)]

    # then
    assert routed == [None, contract, contract]


@pytest.mark.django_db
def test_successor_contract_takes_over_the_day_after(area, dwelling):
    # given one contract ending on a day and its successor starting the next day
    last = datetime.date(2026, 6, 30)
    predecessor = factories.ContractFactory(
        area=area, valid_from=datetime.date(2026, 1, 1), valid_until=last
    )
    successor = factories.ContractFactory(area=area, valid_from=last + DAY, valid_until=None)

    # when
    routed = {
        day: route(dwelling, day)
        for day in (datetime.date(2025, 12, 31), datetime.date(2026, 1, 1), last, last + DAY)
    }

    # then
    assert routed == {
        datetime.date(2025, 12, 31): None,
        datetime.date(2026, 1, 1): predecessor,
        last: predecessor,
        last + DAY: successor,
    }


@pytest.mark.django_db
def test_full_postcode_rule_beats_the_range_around_it(organisation, area, dwelling):
    # given a range in one area and the dwelling's own postcode in another
    exception = factories.AreaFactory(organisation=organisation, name="Strijp")
    factories.PostcodeRuleFactory(
        area=exception, range_start=None, range_end=None, postcode="5612CD"
    )
    factories.ContractFactory(area=area)
    contract = factories.ContractFactory(area=exception)

    # when
    routed = route(dwelling, ON_DATE)

    # then
    assert routed == contract


# --- the admin refuses clashes with a message naming them --------------------------------


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def area_form(organisation, name: str, rules: list[tuple[str, str, str]]) -> dict[str, str]:
    """The area add form with its postcode-rule inline (prefix `rules`)."""
    data = {
        "organisation": str(organisation.pk),
        "name": name,
        "rules-TOTAL_FORMS": str(len(rules)),
        "rules-INITIAL_FORMS": "0",
        "rules-MIN_NUM_FORMS": "0",
        "rules-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, (start, end, postcode) in enumerate(rules):
        data |= {
            f"rules-{index}-range_start": start,
            f"rules-{index}-range_end": end,
            f"rules-{index}-postcode": postcode,
        }
    return data


def rule_form(organisation, area, start: str = "", end: str = "", postcode: str = "") -> dict:
    return {
        "organisation": str(organisation.pk),
        "area": str(area.pk),
        "range_start": start,
        "range_end": end,
        "postcode": postcode,
        "_save": "Save",
    }


def contract_form(organisation, area, contractor, valid_from, valid_until=None) -> dict:
    return {
        "organisation": str(organisation.pk),
        "contractor": str(contractor.pk),
        "area": str(area.pk),
        "valid_from": valid_from.isoformat(),
        "valid_until": valid_until.isoformat() if valid_until else "",
        "fee_per_dwelling_year": "180.00",
        "sroi_pledge_percent": "5.00",
        "type_fees-TOTAL_FORMS": "0",
        "type_fees-INITIAL_FORMS": "0",
        "type_fees-MIN_NUM_FORMS": "0",
        "type_fees-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }


def inline_formset(response, prefix: str):
    return next(
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == prefix
    )


def saved_rules() -> list[tuple]:
    return list(
        PostcodeRule.objects.order_by("pk").values_list(
            "organisation_id", "area__name", "range_start", "range_end", "postcode"
        )
    )


@pytest.mark.django_db
def test_admin_pages_carry_the_inline_prefixes(staff_client):
    # given

    # when
    area_page = staff_client.get(reverse("admin:contractors_area_add"))
    contract_page = staff_client.get(reverse("admin:contractors_contract_add"))

    # then
    assert [inline.formset.prefix for inline in area_page.context["inline_admin_formsets"]] == [
        "rules"
    ]
    assert [inline.formset.prefix for inline in contract_page.context["inline_admin_formsets"]] == [
        "type_fees"
    ]


@pytest.mark.django_db
def test_admin_adds_an_area_with_its_rules(staff_client, organisation):
    # given
    form = area_form(organisation, "Stratum", [("5641", "5649", ""), ("", "", "5611 ab")])

    # when
    response = staff_client.post(reverse("admin:contractors_area_add"), form)

    # then
    assert response.status_code == 302
    assert saved_rules() == [
        (organisation.pk, "Stratum", 5641, 5649, None),
        (organisation.pk, "Stratum", None, None, "5611AB"),
    ]


@pytest.mark.django_db
def test_admin_refuses_an_area_whose_range_overlaps_another_area(staff_client, organisation, area):
    # given area Centrum holds 5611–5620
    before = saved_rules()
    form = area_form(organisation, "Stratum", [("5615", "5630", "")])

    # when
    response = staff_client.post(reverse("admin:contractors_area_add"), form)

    # then
    assert response.status_code == 200
    assert inline_formset(response, "rules").errors == [
        {"__all__": ["Range 5615–5630 overlaps range 5611–5620 of area “Centrum”."]}
    ]
    assert list(Area.objects.values_list("name", flat=True)) == ["Centrum"]
    assert saved_rules() == before


@pytest.mark.django_db
def test_admin_refuses_a_range_rule_overlapping_another_area(staff_client, organisation, area):
    # given area Centrum holds 5611–5620
    stratum = factories.AreaFactory(organisation=organisation, name="Stratum")
    before = saved_rules()

    # when
    response = staff_client.post(
        reverse("admin:contractors_postcoderule_add"),
        rule_form(organisation, stratum, start="5600", end="5611"),
    )

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "__all__": ["Range 5600–5611 overlaps range 5611–5620 of area “Centrum”."]
    }
    assert saved_rules() == before


@pytest.mark.django_db
def test_admin_refuses_a_full_postcode_listed_twice(staff_client, organisation, area):
    # given 5612CD is listed in Centrum
    factories.PostcodeRuleFactory(area=area, range_start=None, range_end=None, postcode="5612CD")
    stratum = factories.AreaFactory(organisation=organisation, name="Stratum")
    before = saved_rules()

    # when
    response = staff_client.post(
        reverse("admin:contractors_postcoderule_add"),
        rule_form(organisation, stratum, postcode="5612 cd"),
    )

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "postcode": ["Postcode 5612 CD is already in area “Centrum”."]
    }
    assert saved_rules() == before


@pytest.mark.django_db
def test_admin_refuses_an_area_listing_a_postcode_another_area_has(
    staff_client, organisation, area
):
    # given 5612CD is listed in Centrum
    factories.PostcodeRuleFactory(area=area, range_start=None, range_end=None, postcode="5612CD")
    before = saved_rules()

    # when
    response = staff_client.post(
        reverse("admin:contractors_area_add"),
        area_form(organisation, "Stratum", [("", "", "5612 cd")]),
    )

    # then
    assert response.status_code == 200
    assert inline_formset(response, "rules").errors == [
        {"postcode": ["Postcode 5612 CD is already in area “Centrum”."]}
    ]
    assert list(Area.objects.values_list("name", flat=True)) == ["Centrum"]
    assert saved_rules() == before


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("rules", "message"),
    [
        ([("5611", "5620", ""), ("5615", "5630", "")], "Rules 5611–5620 and 5615–5630 overlap."),
        ([("5611", "5620", ""), ("5620", "5620", "")], "Rules 5611–5620 and 5620–5620 overlap."),
        ([("", "", "5611AB"), ("", "", "5611 ab")], "Rules 5611 AB and 5611 AB overlap."),
    ],
)
def test_admin_refuses_rules_of_one_form_that_overlap_each_other(
    staff_client, organisation, rules, message
):
    # given

    # when
    response = staff_client.post(
        reverse("admin:contractors_area_add"), area_form(organisation, "Stratum", rules)
    )

    # then
    assert response.status_code == 200
    assert inline_formset(response, "rules").non_form_errors() == [message]
    assert Area.objects.count() == 0
    assert saved_rules() == []


@pytest.mark.django_db
def test_admin_accepts_a_full_postcode_inside_a_range_of_the_same_form(staff_client, organisation):
    # given the full postcode beats the range around it, so they do not clash

    # when
    response = staff_client.post(
        reverse("admin:contractors_area_add"),
        area_form(organisation, "Stratum", [("5611", "5620", ""), ("", "", "5612CD")]),
    )

    # then
    assert response.status_code == 302
    assert saved_rules() == [
        (organisation.pk, "Stratum", 5611, 5620, None),
        (organisation.pk, "Stratum", None, None, "5612CD"),
    ]


@pytest.mark.django_db
def test_admin_refuses_a_second_contract_on_an_area_at_the_same_date(
    staff_client, organisation, area
):
    # given
    existing = factories.ContractFactory(
        area=area,
        contractor=factories.ContractorFactory(name="Bouwbedrijf Van Dam"),
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2026, 12, 31),
    )
    newcomer = factories.ContractorFactory(name="Installatiebedrijf Peters")

    # when
    response = staff_client.post(
        reverse("admin:contractors_contract_add"),
        contract_form(organisation, area, newcomer, datetime.date(2026, 12, 31)),
    )

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors == {
        "__all__": [
            "Area “Centrum” already has a contract on these dates: "
            "Bouwbedrijf Van Dam – Centrum (2026-01-01 – 2026-12-31)."
        ]
    }
    assert list(Contract.objects.all()) == [existing]
    assert ContractTypeFee.objects.count() == 0


@pytest.mark.django_db
def test_admin_accepts_the_successor_contract_from_the_next_day(staff_client, organisation, area):
    # given
    factories.ContractFactory(
        area=area,
        contractor=factories.ContractorFactory(name="Bouwbedrijf Van Dam"),
        valid_from=datetime.date(2026, 1, 1),
        valid_until=datetime.date(2026, 12, 31),
    )
    successor = factories.ContractorFactory(name="Installatiebedrijf Peters")

    # when
    response = staff_client.post(
        reverse("admin:contractors_contract_add"),
        contract_form(organisation, area, successor, datetime.date(2027, 1, 1)),
    )

    # then
    assert response.status_code == 302
    assert list(
        Contract.objects.order_by("valid_from").values_list(
            "contractor__name", "valid_from", "valid_until"
        )
    ) == [
        ("Bouwbedrijf Van Dam", datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
        ("Installatiebedrijf Peters", datetime.date(2027, 1, 1), None),
    ]


@pytest.mark.django_db
def test_another_associations_rules_and_contracts_do_not_clash(
    staff_client, organisation, other_organisation
):
    # given association B has the same range, full postcode and contract dates
    others = factories.AreaFactory(organisation=other_organisation, name="Centrum")
    factories.PostcodeRuleFactory(area=others, range_start=5611, range_end=5620)
    factories.PostcodeRuleFactory(area=others, range_start=None, range_end=None, postcode="5630AB")
    factories.ContractFactory(area=others, valid_from=datetime.date(2026, 1, 1))
    contractor = factories.ContractorFactory()

    # when
    area_added = staff_client.post(
        reverse("admin:contractors_area_add"),
        area_form(organisation, "Centrum", [("5611", "5620", ""), ("", "", "5630AB")]),
    )
    own = Area.objects.get(organisation=organisation)
    contract_added = staff_client.post(
        reverse("admin:contractors_contract_add"),
        contract_form(organisation, own, contractor, datetime.date(2026, 1, 1)),
    )

    # then
    assert (area_added.status_code, contract_added.status_code) == (302, 302)
    assert sorted(
        PostcodeRule.objects.filter(organisation=organisation).values_list(
            "range_start", "range_end", "postcode"
        ),
        key=str,
    ) == [(5611, 5620, None), (None, None, "5630AB")]
    assert Contract.objects.filter(organisation=organisation, area=own).count() == 1


# --- PostgreSQL guards the same invariants itself ----------------------------------------


@pytest.mark.django_db
def test_database_refuses_overlapping_ranges_in_one_association(
    postgres_only, organisation, other_organisation, area
):
    # given area Centrum holds 5611–5620
    stratum = factories.AreaFactory(organisation=organisation, name="Stratum")
    others = factories.AreaFactory(organisation=other_organisation)

    # when
    with pytest.raises(IntegrityError, match="postcoderule_ranges_disjoint"), transaction.atomic():
        PostcodeRule.objects.create(
            organisation=organisation, area=stratum, range_start=5620, range_end=5630
        )
    PostcodeRule.objects.create(
        organisation=other_organisation, area=others, range_start=5611, range_end=5620
    )
    PostcodeRule.objects.create(
        organisation=organisation, area=stratum, range_start=5621, range_end=5630
    )

    # then
    assert sorted(
        PostcodeRule.objects.values_list("organisation_id", "range_start", "range_end")
    ) == sorted(
        [
            (organisation.pk, 5611, 5620),
            (organisation.pk, 5621, 5630),
            (other_organisation.pk, 5611, 5620),
        ]
    )


@pytest.mark.django_db
def test_database_refuses_overlapping_contracts_on_one_area(postgres_only, organisation, area):
    # given
    first = factories.ContractFactory(
        area=area, valid_from=datetime.date(2026, 1, 1), valid_until=datetime.date(2026, 6, 30)
    )
    contractor = factories.ContractorFactory()

    # when
    with (
        pytest.raises(IntegrityError, match="contract_one_per_area_per_date"),
        transaction.atomic(),
    ):
        Contract.objects.create(
            organisation=organisation,
            area=area,
            contractor=contractor,
            valid_from=datetime.date(2026, 6, 30),
            fee_per_dwelling_year="180.00",
        )
    successor = Contract.objects.create(
        organisation=organisation,
        area=area,
        contractor=contractor,
        valid_from=datetime.date(2026, 7, 1),
        fee_per_dwelling_year="180.00",
    )

    # then
    assert list(Contract.objects.order_by("valid_from")) == [first, successor]


@pytest.mark.django_db
def test_database_refuses_an_open_ended_contract_over_a_later_one(
    postgres_only, organisation, area
):
    # given
    later = factories.ContractFactory(area=area, valid_from=datetime.date(2027, 1, 1))

    # when
    with (
        pytest.raises(IntegrityError, match="contract_one_per_area_per_date"),
        transaction.atomic(),
    ):
        factories.ContractFactory(area=area, valid_from=datetime.date(2026, 1, 1))

    # then
    assert list(Contract.objects.all()) == [later]


# --- a request that no rule covers, and one that is routed -------------------------------


@pytest.fixture
def category(organisation):
    return factories.RepairCategoryFactory(organisation=organisation)


def submit(dwelling, category, capture) -> RepairRequest:
    with capture(execute=True), override("en"):
        return services.repair_request_submit(
            dwelling=dwelling, category=category, description="De kraan lekt."
        )


def event_statuses(repair_request: RepairRequest) -> list[str]:
    return list(repair_request.events.order_by("created_at", "pk").values_list("status", flat=True))


@pytest.mark.django_db
def test_unrouted_request_is_kept_and_staff_are_told_once(
    organisation,
    staff_user,
    other_staff_user,
    category,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    # given a dwelling no rule covers
    dwelling = factories.DwellingFactory(organisation=organisation, postcode="9999ZZ")

    # when
    repair_request = submit(dwelling, category, django_capture_on_commit_callbacks)
    with override("en"):
        second_run = unrouted_request_alert(repair_request.pk)

    # then
    repair_request.refresh_from_db()
    assert (repair_request.status, repair_request.contract, repair_request.contractor) == (
        Status.UNROUTED,
        None,
        None,
    )
    assert event_statuses(repair_request) == [Status.SUBMITTED, Status.UNROUTED]
    assert RepairEvent.objects.get(request=repair_request, status=Status.UNROUTED).data == {
        "postcode": "9999ZZ"
    }
    assert repair_request.unrouted_alert_sent_at is not None
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["staff@kempenland.nl"]
    assert mailoutbox[0].subject == (
        f"Repair request {repair_request.reference} could not be routed"
    )
    assert "9999 ZZ" in mailoutbox[0].body
    assert second_run is False


@pytest.fixture
def unrouted(organisation, category, django_capture_on_commit_callbacks):
    dwelling = factories.DwellingFactory(organisation=organisation, postcode="5612CD")
    return submit(dwelling, category, django_capture_on_commit_callbacks)


@pytest.mark.django_db
def test_unrouted_queue_lists_the_request_for_its_own_staff_only(
    staff_client, other_staff_user, organisation, other_organisation, unrouted
):
    # given a routed request of the same association, and an unrouted one of another
    contract = factories.ContractFactory(area=factories.AreaFactory(organisation=organisation))
    factories.RepairRequestFactory(
        dwelling=factories.DwellingFactory(organisation=organisation),
        status=Status.ROUTED,
        contract=contract,
        contractor=contract.contractor,
    )
    others = factories.RepairRequestFactory(
        dwelling=factories.DwellingFactory(organisation=other_organisation),
        status=Status.UNROUTED,
    )
    other_client = Client(HTTP_ACCEPT_LANGUAGE="en")
    other_client.force_login(other_staff_user)
    queue = reverse("admin:repairs_repairrequest_changelist") + "?routing=unrouted"

    # when
    own_queue = staff_client.get(queue)
    other_queue = other_client.get(queue)

    # then
    assert [obj.pk for obj in own_queue.context["cl"].result_list] == [unrouted.pk]
    assert [obj.pk for obj in other_queue.context["cl"].result_list] == [others.pk]


@pytest.mark.django_db
def test_route_again_routes_the_request_once_rules_and_contract_exist(
    staff_client, staff_user, organisation, unrouted, mailoutbox, django_capture_on_commit_callbacks
):
    # given staff add the missing rule and contract
    area = factories.AreaFactory(organisation=organisation, name="Centrum")
    factories.PostcodeRuleFactory(area=area, range_start=5611, range_end=5620)
    contract = factories.ContractFactory(
        area=area, contractor=factories.ContractorFactory(name="Bouwbedrijf Van Dam")
    )
    mails_before = len(mailoutbox)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:repairs_repairrequest_changelist"),
            {"action": "route_again", "_selected_action": [unrouted.pk], "index": "0"},
        )

    # then
    assert response.status_code == 302
    unrouted.refresh_from_db()
    assert (unrouted.status, unrouted.contract, unrouted.contractor) == (
        Status.ROUTED,
        contract,
        contract.contractor,
    )
    assert unrouted.routed_at is not None
    assert event_statuses(unrouted) == [Status.SUBMITTED, Status.UNROUTED, Status.ROUTED]
    routed_event = unrouted.events.get(status=Status.ROUTED)
    assert (routed_event.actor, routed_event.data) == (
        staff_user,
        {"contractor": "Bouwbedrijf Van Dam", "area": "Centrum"},
    )
    assert len(mailoutbox) == mails_before


@pytest.mark.django_db
def test_route_again_leaves_a_still_unroutable_request_waiting(
    staff_client, unrouted, mailoutbox, django_capture_on_commit_callbacks
):
    # given still no rule covers the dwelling
    mails_before = len(mailoutbox)

    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            reverse("admin:repairs_repairrequest_changelist"),
            {"action": "route_again", "_selected_action": [unrouted.pk], "index": "0"},
        )

    # then
    assert response.status_code == 302
    unrouted.refresh_from_db()
    assert (unrouted.status, unrouted.contract_id) == (Status.UNROUTED, None)
    assert event_statuses(unrouted) == [Status.SUBMITTED, Status.UNROUTED]
    assert len(mailoutbox) == mails_before


@pytest.mark.django_db
def test_routed_request_stores_its_contract_and_contractor(
    organisation, staff_user, area, category, mailoutbox, django_capture_on_commit_callbacks
):
    # given
    contract = factories.ContractFactory(area=area)
    dwelling = factories.DwellingFactory(organisation=organisation, postcode="5612CD")

    # when
    repair_request = submit(dwelling, category, django_capture_on_commit_callbacks)
    # later the rule moves to another area and the contract ends: history stays
    PostcodeRule.objects.filter(area=area).update(
        area=factories.AreaFactory(organisation=organisation)
    )
    Contract.objects.filter(pk=contract.pk).update(valid_until=datetime.date(2020, 1, 1))

    # then
    repair_request.refresh_from_db()
    assert (repair_request.status, repair_request.contract, repair_request.contractor) == (
        Status.ROUTED,
        contract,
        contract.contractor,
    )
    assert event_statuses(repair_request) == [Status.SUBMITTED, Status.ROUTED]
    assert mailoutbox == []
