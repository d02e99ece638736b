"""Staff take a report on someone's behalf in the admin ("Take a report"): they find the
dwelling by postcode and house number, see its current tenancy, note the caller and the
channel (VERA TEL or BAL) and book a free daypart with the caller on the phone. Work orders
without a tenant are taken the same way: a common area (VERA collectief object) of the
dwelling's postcode, or a vacant home between tenancies, whose materials the reuse register
links back to."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.urls import reverse

from portal.models import CollectiveObject, CollectiveObjectKind
from repairs import services
from repairs.lifecycle import Status
from repairs.models import Appointment, Channel, MaterialReuse, RepairRequest, ReuseSource
from repairs.services import NotReportable, SlotFull

from . import factories
from .queries import count_queries_settled

URL = "/admin/repairs/repairrequest/take/"

# Pinned: the page with the dwelling found, whatever the number of categories and free
# dayparts. With Redis (the PostgreSQL runs) the session is cached (cached_db): one query less.
FOUND_PAGE_QUERIES = {"postgresql": 10}.get(connection.vendor, 11)


@pytest.fixture
def staff_client(english_client, staff_user):
    return english_client(staff_user)


def find(client, postcode="5611 ab", number=None, chain=None):
    number = number if number is not None else chain.dwelling.house_number
    return client.get(URL, {"postcode": postcode, "house_number": number, "suffix": ""})


def report(chain, slot=None, **fields):
    return {
        "dwelling": chain.dwelling.pk,
        "subject": "tenant",
        "category": chain.category.pk,
        "description": "Kraan in de keuken lekt.",
        "caller_name": "Sanne de Vries",
        "caller_phone": "06 11122233",
        "caller_relation": "tenant",
        "channel": Channel.PHONE,
        "access_notes": "",
        "slot": slot.pk if slot else "",
        **fields,
    }


# -- happy paths ---------------------------------------------------------------------------


def test_staff_find_the_dwelling_and_see_its_tenancy_and_free_dayparts(now, chain, staff_client):
    # given a free daypart of the contractor
    chain.slot(days=2, capacity=1)

    # when staff search by the postcode as the caller spells it
    page = find(staff_client, chain=chain)

    # then the dwelling, its tenancy, its contractor and the daypart are shown
    text = page.content.decode()
    assert page.status_code == 200
    assert chain.dwelling.reference in text
    assert chain.tenancy.contract_number in text
    assert chain.contractor.name in text
    assert "Thursday 12 March, 08:00–12:00 (morning)" in text


def test_a_phone_report_is_saved_routed_and_booked_with_channel_tel(
    now, chain, staff_client, staff_user
):
    # given a free daypart
    slot = chain.slot(days=2, capacity=1)

    # when staff take the report with the tenant on the phone
    response = staff_client.post(URL, report(chain, slot))

    # then it is saved under the tenancy, routed, booked, and carries TEL and the caller
    assert response.status_code == 302
    repair_request = RepairRequest.objects.get()
    assert response["Location"] == reverse(
        "admin:repairs_repairrequest_change", args=[repair_request.pk]
    )
    assert repair_request.status == Status.SCHEDULED
    assert repair_request.tenancy == chain.tenancy
    assert repair_request.contractor == chain.contractor
    assert repair_request.channel == Channel.PHONE
    assert repair_request.vera_channel == "TEL"
    assert repair_request.reported_by == staff_user
    assert (repair_request.caller_name, repair_request.caller_relation) == (
        "Sanne de Vries",
        "tenant",
    )
    assert repair_request.contact_phone == "06 11122233"
    appointment = Appointment.objects.get(request=repair_request)
    assert appointment.slot == slot
    assert appointment.booked_by == staff_user
    slot.refresh_from_db()
    assert slot.booked == 1


def test_a_desk_report_without_a_daypart_is_routed_with_channel_bal(now, chain, staff_user):
    # when staff take a neighbour's report at the desk, without a daypart
    repair_request = services.repair_request_take(
        actor=staff_user,
        dwelling=chain.dwelling,
        category=chain.category,
        description="Lekkage bij de buren",
        channel=Channel.STAFF,
        caller_name="Buurman",
        caller_relation="neighbour",
    )

    # then it is routed for the contractor to plan, under the tenancy, as BAL
    repair_request.refresh_from_db()
    assert repair_request.status == Status.ROUTED
    assert repair_request.vera_channel == "BAL"
    assert repair_request.tenancy == chain.tenancy
    assert repair_request.without_tenant == ""


def test_a_common_area_order_has_no_tenant_and_is_routed_by_its_postcode(now, chain, staff_client):
    # given the lift of the complex at the dwelling's postcode
    lift = CollectiveObject.objects.create(
        organisation=chain.organisation,
        kind=CollectiveObjectKind.LIFT,
        name="Lift blok B",
        postcode="5611AB",
    )
    page = find(staff_client, chain=chain)
    assert "Common area: Lift blok B" in page.content.decode()

    # when staff take a report on the lift
    response = staff_client.post(URL, report(chain, subject=f"co-{lift.pk}"))

    # then it names the lift, has no tenancy, and went to the area's contractor
    assert response.status_code == 302
    repair_request = RepairRequest.objects.get()
    assert repair_request.collective_object == lift
    assert repair_request.tenancy is None
    assert repair_request.contractor == chain.contractor
    assert repair_request.without_tenant == "common"


def test_a_vacant_home_order_is_bal_without_tenant_and_the_reuse_register_links_to_it(
    now, chain, staff_client, staff_user
):
    # given a dwelling whose tenancy ended
    vacant = factories.DwellingFactory(organisation=chain.organisation, postcode="5611AB")
    factories.TenancyFactory(
        dwelling=vacant, end_date=datetime.date(2026, 2, 28), start_date=datetime.date(2019, 1, 1)
    )
    page = staff_client.get(URL, {"postcode": "5611AB", "house_number": vacant.house_number})
    assert "None: the dwelling is vacant." in page.content.decode()

    # when staff take a vacant-home order (by phone, but it is a desk order: BAL)
    data = report(chain, subject="vacant", dwelling=vacant.pk, caller_relation="other")
    response = staff_client.post(URL, data)

    # then it is BAL, without tenancy, marked vacant
    assert response.status_code == 302
    order = RepairRequest.objects.get()
    assert (order.channel, order.tenancy, order.is_vacant_home) == (Channel.STAFF, None, True)
    assert order.without_tenant == "vacant"

    # and material taken from it shows the order in the reuse register
    visit = factories.AppointmentFactory(
        request=factories.routed_request_create(chain), slot__area=chain.area
    )
    MaterialReuse.objects.create(
        organisation=chain.organisation,
        appointment=visit,
        contractor=visit.contractor,
        description="Binnendeur",
        quantity=Decimal("1"),
        source=ReuseSource.VACANT_DWELLING,
        source_dwelling=vacant,
        estimated_value=Decimal("80.00"),
    )
    register = staff_client.get(reverse("admin:repairs_materialreuse_register"))
    text = register.content.decode()
    assert order.reference in text
    assert reverse("admin:repairs_repairrequest_change", args=[order.pk]) in text


def test_an_emergency_taken_by_phone_is_not_booked_but_told_to_the_contractor_at_once(
    now, chain, staff_user
):
    # given an emergency category and a free daypart
    from outbox.models import OutboxMessage  # local import: only this test reads the outbox

    emergency = factories.RepairCategoryFactory(
        organisation=chain.organisation, is_emergency=True, name_nl="Gaslucht"
    )
    slot = chain.slot(days=2, capacity=1)

    # when staff take it by phone and pick the daypart anyway
    repair_request = services.repair_request_take(
        actor=staff_user,
        dwelling=chain.dwelling,
        category=emergency,
        description="Het ruikt naar gas in de keuken.",
        slot_id=slot.pk,
    )

    # then it waits for the contractor's confirmation, unbooked, and the contractor is told
    repair_request.refresh_from_db()
    assert (repair_request.status, repair_request.is_urgent) == (Status.ROUTED, True)
    assert repair_request.contractor_confirmed_at is None
    assert not Appointment.objects.exists()
    assert OutboxMessage.objects.filter(key=f"contractor-emergency-{repair_request.pk}").exists()


# -- bad inputs ----------------------------------------------------------------------------


def test_an_unknown_address_is_not_found_with_a_helpful_message(now, chain, staff_client):
    page = staff_client.get(URL, {"postcode": "5611AB", "house_number": 999})
    text = page.content.decode()
    assert "No dwelling of your association at 5611 AB 999." in text
    assert "Take the report" not in text


def test_a_wrong_postcode_says_what_is_wrong(now, chain, staff_client):
    page = staff_client.get(URL, {"postcode": "0611AB", "house_number": 1})
    assert "A Dutch postcode never starts with 0." in page.content.decode()


def test_a_dwelling_of_another_association_is_not_found(now, chain, other_chain, staff_client):
    # when staff look up the other association's dwelling
    page = find(staff_client, postcode="5612CD", chain=other_chain)
    assert "No dwelling of your association" in page.content.decode()

    # and posting its id saves nothing
    response = staff_client.post(URL, report(other_chain))
    assert "This dwelling is not found." in response.content.decode()
    assert not RepairRequest.objects.exists()


def test_without_a_free_daypart_staff_are_told_and_may_take_it_unbooked(now, chain, staff_client):
    chain.slot(days=2, capacity=1, booked=1)
    page = find(staff_client, chain=chain)
    assert "The contractor has no free daypart in the coming two weeks" in page.content.decode()


def test_a_daypart_taken_meanwhile_is_a_form_error_and_nothing_is_saved(now, chain, staff_client):
    # given the daypart shown, then taken by someone else before staff save
    slot = chain.slot(days=2, capacity=1)
    find(staff_client, chain=chain)
    slot.booked = 1
    slot.save(update_fields=["booked"])

    # when staff take the report in that daypart
    response = staff_client.post(URL, report(chain, slot))

    # then the form says so next to the daypart, and nothing is saved
    assert response.status_code == 422
    assert "This daypart is full. Choose another" in response.content.decode()
    assert not RepairRequest.objects.exists()
    assert not Appointment.objects.exists()


def test_the_service_refuses_a_vacant_order_on_a_rented_dwelling(now, chain, staff_user):
    with pytest.raises(NotReportable):
        services.repair_request_take(
            actor=staff_user,
            dwelling=chain.dwelling,
            category=chain.category,
            description="Mutatie",
            vacant_home=True,
        )
    assert not RepairRequest.objects.exists()


def test_the_service_refuses_a_full_slot_and_keeps_nothing(now, chain, staff_user):
    slot = chain.slot(days=2, capacity=1, booked=1)
    with pytest.raises(SlotFull):
        services.repair_request_take(
            actor=staff_user,
            dwelling=chain.dwelling,
            category=chain.category,
            description="Kraan lekt",
            slot_id=slot.pk,
        )
    assert not RepairRequest.objects.exists()


# -- permissions ---------------------------------------------------------------------------


def test_the_changelist_links_to_the_intake(now, chain, staff_client):
    page = staff_client.get(reverse("admin:repairs_repairrequest_changelist"))
    assert URL in page.content.decode()


@pytest.mark.parametrize("who", ["anonymous", "tenant", "planner"])
def test_tenants_contractors_and_anonymous_cannot_open_it(now, chain, planner, english_client, who):
    user = {"anonymous": None, "tenant": chain.tenant, "planner": planner}[who]
    client = english_client(user)
    get = client.get(URL, {"postcode": "5611AB", "house_number": chain.dwelling.house_number})
    post = client.post(URL, report(chain))
    assert get.status_code == 302
    assert "/admin/login/" in get["Location"]
    assert post.status_code == 302
    assert not RepairRequest.objects.exists()


# -- queries -------------------------------------------------------------------------------


@pytest.mark.parametrize("rows", [1, 50])
def test_the_page_with_a_dwelling_found_asks_a_fixed_number_of_queries(
    now, chain, staff_client, rows
):
    # given 1 or 50 categories, and 1 or every free daypart of the coming two weeks
    for _number in range(rows - 1):
        factories.RepairCategoryFactory(organisation=chain.organisation)
    for index in range(min(rows, 28)):
        chain.slot(days=1 + index % 14, daypart=[chain.morning, chain.afternoon][index // 14])
    params = {"postcode": "5611AB", "house_number": chain.dwelling.house_number}

    # then the page asks the same number of queries
    assert count_queries_settled(staff_client, URL, params) == FOUND_PAGE_QUERIES


# -- the contractor ------------------------------------------------------------------------


def test_the_contractor_sees_orders_without_tenant_labelled_without_tenant_contact(
    now, chain, staff_user, planner_client
):
    # given a common-area order and a vacant-home order routed to the chain's contractor
    stairs = CollectiveObject.objects.create(
        organisation=chain.organisation,
        kind=CollectiveObjectKind.STAIRWELL,
        name="Trappenhuis A",
        postcode="5611AB",
    )
    common = services.repair_request_take(
        actor=staff_user,
        dwelling=chain.dwelling,
        category=chain.category,
        description="Trapleuning los",
        collective_object=stairs,
    )
    vacant = factories.DwellingFactory(organisation=chain.organisation, postcode="5611AB")
    services.repair_request_take(
        actor=staff_user,
        dwelling=vacant,
        category=chain.category,
        description="Mutatie: kraan vervangen",
        vacant_home=True,
    )

    # when the planner opens the list of new work and the common-area order
    queue = planner_client.get(reverse("work_queue", args=["new"])).content.decode()
    page = planner_client.get(reverse("contractor_request", args=[common.reference]))

    # then both are labelled, and the order says there is no tenant to contact
    assert "common area</span>" in queue
    assert "vacant home</span>" in queue
    text = page.content.decode()
    assert "Common area: Trappenhuis A. No tenant to contact." in text
    assert chain.tenant.email not in text


# -- the demo ------------------------------------------------------------------------------


def test_the_demo_has_a_common_area_order_and_vacant_home_orders_the_register_links(
    db, english_client
):
    # given the demo data
    import io  # local import: only this test runs the demo

    from django.core.management import call_command  # local import: only this test

    output = io.StringIO()
    call_command("demo_data", stdout=output)

    # then De Kempen has one common-area order (a stairwell, by phone from the caretaker)
    common = RepairRequest.objects.get(collective_object__isnull=False)
    assert common.collective_object.kind == CollectiveObjectKind.STAIRWELL
    assert (common.tenancy, common.vera_channel) == (None, "TEL")
    assert common.contractor_id is not None
    # and vacant-home orders (BAL, no tenancy) on the dwelling reused material came from
    vacant = RepairRequest.objects.filter(is_vacant_home=True)
    assert vacant.count() >= 3
    assert {(order.tenancy_id, order.vera_channel) for order in vacant} == {(None, "BAL")}
    donors = set(
        MaterialReuse.objects.filter(source=ReuseSource.VACANT_DWELLING).values_list(
            "source_dwelling_id", flat=True
        )
    )
    assert set(vacant.values_list("dwelling_id", flat=True)) <= donors
    # and the register of De Kempen's staff links its donor to the latest order
    from portal.models import User  # local import: the demo's staff account

    staff = User.objects.get(email="medewerker@dekempen.nl")
    register = english_client(staff).get(reverse("admin:repairs_materialreuse_register"))
    latest = vacant.filter(organisation__slug="dekempen").order_by("created_at", "pk").last()
    assert reverse("admin:repairs_repairrequest_change", args=[latest.pk]) in (
        register.content.decode()
    )
