"""A defect that is not in the list: every room offers "Something else", described freely,
routed to the area's contractor like any other report, under VERA's generic codes."""

import re
from html import escape, unescape

import pytest
from django.urls import reverse

from repairs.lifecycle import Status
from repairs.models import RepairCategory, RepairRequest

from . import factories

DESCRIPTION = "The letterbox flap in the front door is stuck open and lets the cold in."
PHONE = "06 12345678"


def text_of(response) -> str:
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def something_else_url(room: str) -> str:
    return reverse("report_something_else", args=[room])


def test_each_room_of_the_list_ends_with_something_else(now, tenant_client, chain):
    # given categories in the kitchen (the chain's) and the bathroom
    factories.RepairCategoryFactory(
        organisation=chain.organisation, room_code="BAD", name_en="Shower drain blocked"
    )

    # when
    response = tenant_client.get(reverse("report_start"))

    # then each room's list ends with "Something else", linking to that room's report
    html = response.content.decode()
    for room, name in (("KEU", "Kitchen"), ("BAD", "Bathroom / shower room")):
        assert (
            f'href="{something_else_url(room)}">Something else'
            f'<span class="visually-hidden"> ({name})</span></a>'
        ) in html
    text = text_of(response)
    assert "Kitchen Tap leaks Something else (Kitchen)" in text


def test_something_else_in_the_kitchen_is_routed_to_the_areas_contractor(
    now, tenant_client, chain, planner_client
):
    # given
    page = tenant_client.get(something_else_url("KEU"))
    assert page.status_code == 200
    assert "Something else: Kitchen" in text_of(page)
    assert "What is wrong, and where exactly?" in text_of(page)

    # when the tenant describes it and sends it
    response = tenant_client.post(
        something_else_url("KEU"), {"description": DESCRIPTION, "contact_phone": PHONE}
    )

    # then it is saved, routed to the contractor of the area, with the generic VERA codes
    repair_request = RepairRequest.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("report_done", args=[repair_request.reference])
    assert repair_request.status == Status.ROUTED
    assert repair_request.contractor_id == chain.contractor.pk
    assert repair_request.contract_id == chain.contract.pk
    assert repair_request.description == DESCRIPTION
    category = repair_request.category
    assert (
        category.organisation_id,
        category.room_code,
        category.defect_code,
        category.trade_code,
        category.name_nl,
        category.name_en,
        category.responsibility,
        category.is_emergency,
    ) == (
        chain.organisation.pk,
        "KEU",
        "OVE",
        "OVE",
        "Iets anders",
        "Something else",
        "landlord",
        False,
    )

    # and the planner finds it among the new work, with the description
    queue = planner_client.get(reverse("work_queue", args=["new"]))
    assert [item.reference for item in queue.context["page"]] == [repair_request.reference]
    detail = text_of(
        planner_client.get(reverse("contractor_request", args=[repair_request.reference]))
    )
    assert DESCRIPTION in detail
    assert "Defect (DEFECTSOORT) OVE – Overig" in detail
    assert "Trade (ONDERHOUDSPECIALISME) OVE – Overig" in detail


def test_a_second_something_else_in_the_room_shares_its_category(now, tenant_client, chain):
    # given
    for _ in range(2):
        tenant_client.post(
            something_else_url("BAD"), {"description": DESCRIPTION, "contact_phone": PHONE}
        )

    # then two requests, one "Something else" of the bathroom, not listed twice
    assert RepairRequest.objects.count() == 2
    assert RepairCategory.objects.filter(room_code="BAD", defect_code="OVE").count() == 1
    start = text_of(tenant_client.get(reverse("report_start")))
    assert start.count("Something else (Bathroom / shower room)") == 1


def test_something_else_with_a_free_time_books_it(now, tenant_client, chain):
    # given a free daypart of the contractor
    slot = chain.slot(days=2)

    # when
    tenant_client.post(
        something_else_url("WOO"),
        {"description": DESCRIPTION, "contact_phone": PHONE, "slot": slot.pk},
    )

    # then
    repair_request = RepairRequest.objects.get()
    assert repair_request.status == Status.SCHEDULED
    assert repair_request.appointments.get().slot_id == slot.pk


@pytest.mark.parametrize(
    ("description", "message"),
    [
        (
            "",
            "Describe what is wrong: with “Something else” your description is all the "
            "contractor has to go on.",
        ),
        (
            "   ",
            "Describe what is wrong: with “Something else” your description is all the "
            "contractor has to go on.",
        ),
        (
            "broken",
            "Describe what is wrong in at least 10 characters, so the contractor knows what "
            "to bring.",
        ),
    ],
)
def test_something_else_without_a_description_is_refused_next_to_it(
    now, tenant_client, chain, description, message
):
    # when
    response = tenant_client.post(
        something_else_url("KEU"), {"description": description, "contact_phone": PHONE}
    )

    # then
    assert response.status_code == 422
    assert dict(response.context["form"].errors) == {"description": [message]}
    assert escape(message) in response.content.decode()
    assert 'id="error_1_id_description"' in response.content.decode()
    assert RepairRequest.objects.count() == 0
    assert not RepairCategory.objects.filter(defect_code="OVE").exists()


def test_something_else_reads_dutch(now, tenant_client, chain):
    # given a tenant reading Dutch
    tenant_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"

    # when
    start = text_of(tenant_client.get(reverse("report_start")))
    page = text_of(tenant_client.get(something_else_url("KEU")))
    refused = tenant_client.post(something_else_url("KEU"), {"contact_phone": PHONE})

    # then
    assert "Iets anders (Keuken)" in start
    assert "Iets anders: Keuken" in page
    assert "Wat is er kapot, en waar precies?" in page
    assert "met “Iets anders” is uw beschrijving alles" in text_of(refused)


def test_an_unknown_room_is_not_found(now, tenant_client, chain):
    # when
    response = tenant_client.get(something_else_url("XYZ"))

    # then
    assert response.status_code == 404


def test_only_a_tenant_reports_something_else(now, client, chain, planner_client):
    # when
    anonymous = client.get(something_else_url("KEU"))
    planner = planner_client.post(
        something_else_url("KEU"), {"description": DESCRIPTION, "contact_phone": PHONE}
    )

    # then
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("login"))
    assert planner.status_code == 404
    assert RepairRequest.objects.count() == 0
