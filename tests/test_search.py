"""Search boxes of the planner's work queue and the admin: a request reference exactly, a VHE
number exactly, a postcode by its start, a street by a fragment (with a house number if one is
typed), each within what the user may see. The same answers on SQLite and PostgreSQL (where
the street fragment is served by the pg_trgm index on the dwelling's street_search)."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from portal.models import Dwelling, Tenancy
from repairs.lifecycle import Status
from repairs.models import RepairRequest
from surveys.models import InvitationStatus, SurveyInvitation

from . import factories
from .queries import count_queries

pytestmark = pytest.mark.django_db


def references(response) -> list[str]:
    return [item.reference for item in response.context["page"]]


def queue(client, name: str, **params):
    response = client.get(reverse("work_queue", args=[name]), params)
    assert response.status_code == 200
    return response


def admin_url(model, view: str = "changelist") -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}")


def found(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.fixture
def homes(now, chain):
    """Four homes of the association, each with one new request of the chain's contractor."""
    addresses = {
        "molenweg 5": ("Molenweg", 5, "5612CD", "VHE-M5"),
        "molenweg 7": ("Molenweg", 7, "5612CE", "VHE-M7"),
        "kerkstraat 101": ("Kerkstraat", 101, "5611AB", "VHE-K1"),
        "stationsplein 2": ("Stationsplein", 2, "5643XY", "VHE-S2"),
    }
    requests = {}
    for key, (street, number, postcode, reference) in addresses.items():
        dwelling = factories.DwellingFactory(
            organisation=chain.organisation,
            street=street,
            house_number=number,
            postcode=postcode,
            reference=reference,
        )
        requests[key] = factories.routed_request_create(chain, dwelling=dwelling, tenancy=None)
    return requests


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def superuser_client(english_client, superuser):
    return english_client(superuser)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        # a street by a fragment, in any case, with or without a house number
        ("olenw", ["molenweg 5", "molenweg 7"]),
        ("MOLENWEG", ["molenweg 5", "molenweg 7"]),
        ("Molenweg 7", ["molenweg 7"]),
        ("molenweg 7b", ["molenweg 7"]),
        ("plein", ["stationsplein 2"]),
        # fewer than three letters finds no street
        ("we", []),
        # a postcode by its start, with or without the space, or with a house number
        ("5612", ["molenweg 5", "molenweg 7"]),
        ("5612 c", ["molenweg 5", "molenweg 7"]),
        ("5612ce", ["molenweg 7"]),
        ("5612 CD 5", ["molenweg 5"]),
        ("5612 CD 6", []),
        ("561", []),
        # a VHE number exactly
        ("VHE-K1", ["kerkstraat 101"]),
        ("vhe-k1", ["kerkstraat 101"]),
        ("VHE-K", []),
    ],
)
def test_planner_finds_requests_by_street_postcode_or_vhe_number(
    planner_client, homes, query, expected
):
    # when
    response = queue(planner_client, "all", q=query)

    # then the newest first, as the list is ordered
    assert sorted(references(response)) == sorted(homes[key].reference for key in expected)


def test_a_reference_finds_that_request_only_in_any_case(planner_client, homes):
    # given
    wanted = homes["molenweg 7"].reference

    # when
    exact = queue(planner_client, "all", q=f"  {wanted.lower()} ")
    shorter = queue(planner_client, "all", q=wanted[:-1])

    # then
    assert references(exact) == [wanted]
    assert references(shorter) == []


def test_planner_search_stays_within_the_contractor(planner_client, homes, other_chain):
    # given another contractor's request on a Molenweg in another association
    dwelling = factories.DwellingFactory(
        organisation=other_chain.organisation, street="Molenweg", postcode="5612CD"
    )
    theirs = factories.routed_request_create(other_chain, dwelling=dwelling, tenancy=None)

    # when
    by_street = queue(planner_client, "all", q="molenweg")
    by_reference = queue(planner_client, "all", q=theirs.reference)

    # then
    assert theirs.reference not in references(by_street)
    assert len(references(by_street)) == 2
    assert references(by_reference) == []


def test_a_street_renamed_in_bulk_is_found_by_its_new_name(planner_client, homes):
    # given the ERP renamed a street, written the way imports write: one UPDATE, no save()
    Dwelling.objects.filter(street="Kerkstraat").update(street="Dorpsstraat")

    # when
    new_name = queue(planner_client, "all", q="dorps")
    old_name = queue(planner_client, "all", q="kerkstr")

    # then
    assert references(new_name) == [homes["kerkstraat 101"].reference]
    assert references(old_name) == []


def test_a_dwelling_created_in_bulk_is_found_by_its_street(now, planner_client, chain):
    # given dwellings written the way the CSV import writes them: bulk_create, no save()
    Dwelling.objects.bulk_create(
        [
            Dwelling(
                organisation=chain.organisation,
                reference=f"VHE-B{number}",
                street="Beukenlaan",
                house_number=number,
                postcode="5613AA",
                city="Eindhoven",
                in_portfolio_from=datetime.date(2020, 1, 1),
            )
            for number in (1, 3)
        ]
    )
    dwelling = Dwelling.objects.get(reference="VHE-B3")
    wanted = factories.routed_request_create(chain, dwelling=dwelling, tenancy=None)

    # when
    response = queue(planner_client, "all", q="beukenlaan 3")

    # then
    assert references(response) == [wanted.reference]


def test_all_requests_open_first_then_newest_first(now, planner_client, chain):
    # given requests reported over two years, open and closed
    def reported(days_ago: int, status: str) -> RepairRequest:
        repair_request = factories.routed_request_create(chain, status=status)
        created = timezone.now() - datetime.timedelta(days=days_ago)
        RepairRequest.objects.filter(pk=repair_request.pk).update(created_at=created)
        return repair_request

    oldest_closed = reported(700, Status.COMPLETED)
    old_open = reported(90, Status.ROUTED)
    recent_closed = reported(3, Status.CANCELLED)
    new_open = reported(1, Status.FOLLOW_UP)
    newest_closed = reported(0, Status.COMPLETED)

    # when
    response = queue(planner_client, "all")

    # then what needs work comes first, the newest of each on top
    assert references(response) == [
        new_open.reference,
        old_open.reference,
        newest_closed.reference,
        recent_closed.reference,
        oldest_closed.reference,
    ]


def test_the_work_lists_keep_emergencies_first_then_oldest_first(now, planner_client, chain):
    # given
    first = factories.routed_request_create(chain)
    urgent = factories.routed_request_create(chain, is_urgent=True)
    second = factories.routed_request_create(chain)

    # when
    new = queue(planner_client, "new")
    plan = queue(planner_client, "plan")

    # then
    expected = [urgent.reference, first.reference, second.reference]
    assert references(new) == expected
    assert references(plan) == expected


def test_a_long_list_names_its_pages_up_to_the_cap(now, planner_client, chain, monkeypatch):
    # given more requests than the count looks at
    from portal.scoping import CappedCountPaginator

    monkeypatch.setattr(CappedCountPaginator, "COUNT_CAP", 50)
    for _ in range(51):
        factories.routed_request_create(chain)

    # when
    response = queue(planner_client, "all")

    # then it offers the pages it counted and says there are more
    assert "1 / 2+" in response.content.decode()


# -- the admin ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("olenw", ["molenweg 5", "molenweg 7"]),
        ("molenweg 5", ["molenweg 5"]),
        ("5612 c", ["molenweg 5", "molenweg 7"]),
        ("5611AB", ["kerkstraat 101"]),
        ("vhe-s2", ["stationsplein 2"]),
        ("Dorpsstraat", []),
    ],
)
def test_staff_find_requests_by_street_postcode_or_vhe_number(staff_client, homes, query, expected):
    # when
    response = staff_client.get(admin_url(RepairRequest), {"q": query})

    # then
    assert found(response) == {homes[key].pk for key in expected}


def test_staff_find_a_request_by_its_reference_in_any_case(staff_client, homes):
    # given
    wanted = homes["stationsplein 2"]

    # when
    response = staff_client.get(admin_url(RepairRequest), {"q": wanted.reference.lower()})

    # then
    assert found(response) == {wanted.pk}


def test_staff_search_keeps_to_their_association(staff_client, superuser_client, homes):
    # given a request on a Molenweg of another association
    other = factories.chain_create(postcode="5612CD")
    dwelling = factories.DwellingFactory(
        organisation=other.organisation, street="Molenweg", postcode="5612CD"
    )
    theirs = factories.routed_request_create(other, dwelling=dwelling, tenancy=None)

    # when
    by_street = staff_client.get(admin_url(RepairRequest), {"q": "molenweg"})
    by_postcode = staff_client.get(admin_url(RepairRequest), {"q": "5612"})
    by_reference = staff_client.get(admin_url(RepairRequest), {"q": theirs.reference})
    as_superuser = superuser_client.get(admin_url(RepairRequest), {"q": "molenweg"})

    # then
    assert found(by_street) == {homes["molenweg 5"].pk, homes["molenweg 7"].pk}
    assert found(by_postcode) == {homes["molenweg 5"].pk, homes["molenweg 7"].pk}
    assert found(by_reference) == set()
    assert theirs.pk in found(as_superuser)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("olenweg", ["molenweg 5", "molenweg 7"]),
        ("5612 ce", ["molenweg 7"]),
        ("VHE-K1", ["kerkstraat 101"]),
        ("Eindhoven", []),
    ],
)
def test_staff_find_dwellings_by_street_postcode_or_vhe_number(
    staff_client, homes, query, expected
):
    # when
    response = staff_client.get(admin_url(Dwelling), {"q": query})

    # then
    assert found(response) == {homes[key].dwelling_id for key in expected}


def test_staff_find_tenancies_by_contract_number_email_or_address(staff_client, chain):
    # given the chain's tenancy and one more on the Molenweg
    dwelling = factories.DwellingFactory(
        organisation=chain.organisation, street="Molenweg", house_number=9
    )
    molenweg = factories.TenancyFactory(dwelling=dwelling, contract_number="HC-0009")
    url = admin_url(Tenancy)

    # when
    by_number = staff_client.get(url, {"q": "HC-0009"})
    by_email = staff_client.get(url, {"q": chain.tenant.email.upper()})
    by_street = staff_client.get(url, {"q": "molenweg 9"})

    # then
    assert found(by_number) == {molenweg.pk}
    assert found(by_email) == {chain.tenancy.pk}
    assert found(by_street) == {molenweg.pk}


def test_staff_find_an_invitation_by_the_reference_of_its_request(staff_client, homes, chain):
    # given
    repair_request = homes["kerkstraat 101"]
    invitation = SurveyInvitation.objects.create(
        organisation=chain.organisation,
        request=repair_request,
        contractor=chain.contractor,
        area=chain.area,
        email="huurder@example.nl",
        status=InvitationStatus.SENT,
        due_at=timezone.now(),
    )

    # when
    response = staff_client.get(
        admin_url(SurveyInvitation), {"q": repair_request.reference.lower()}
    )

    # then
    assert found(response) == {invitation.pk}


def test_the_request_list_filters_by_recent_periods_not_a_date_hierarchy(now, staff_client, chain):
    # given a request of last week and one of last year
    recent = factories.routed_request_create(chain)
    old = factories.routed_request_create(chain)
    RepairRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=400)
    )
    url = admin_url(RepairRequest)

    # when
    page = staff_client.get(url)
    this_year = next(
        choice
        for spec in page.context["cl"].filter_specs
        if getattr(spec, "field_path", "") == "created_at"
        for choice in spec.choices(page.context["cl"])
        if choice["display"] == "This year"
    )
    filtered = staff_client.get(url + this_year["query_string"])

    # then no year links are offered (they would read every row), and the period filters
    assert page.context["cl"].date_hierarchy is None
    assert found(filtered) == {recent.pk}


@pytest.mark.parametrize("query", ["", "molenweg", "5612"])
def test_searching_requests_asks_the_same_with_1_and_50_rows(
    staff_client, chain, query, django_assert_max_num_queries
):
    # given
    def add():
        dwelling = factories.DwellingFactory(
            organisation=chain.organisation, street="Molenweg", postcode="5612CD"
        )
        factories.routed_request_create(chain, dwelling=dwelling, tenancy=None)

    def count() -> int:
        return count_queries(staff_client, admin_url(RepairRequest), {"q": query})

    add()
    staff_client.get(admin_url(RepairRequest), {"q": query})
    one = count()

    # when
    for _ in range(49):
        add()
    fifty = count()

    # then
    with django_assert_max_num_queries(10):
        response = staff_client.get(admin_url(RepairRequest), {"q": query})
    assert len(response.context["cl"].result_list) == 50
    assert fifty == one
