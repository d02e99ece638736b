"""The planner's queue suggests combining open jobs of one home or building in one visit, and
combines them with one click; a job or visit of another contractor answers 404, and the
suggestions cost one query per page, however many rows."""

import pytest
from django.urls import reverse

from contractors.models import Slot
from repairs.lifecycle import Status
from repairs.models import Appointment, AppointmentStatus
from repairs.services.appointments import appointment_plan

from . import factories
from .queries import queries_of


def neighbour_of(dwelling, suffix: str):
    """A flat off the same staircase: same postcode and house number, another suffix."""
    return factories.DwellingFactory(
        organisation=dwelling.organisation,
        postcode=dwelling.postcode,
        house_number=dwelling.house_number,
        house_number_suffix=suffix,
    )


@pytest.fixture
def building(chain, planner):
    """A job with a visit planned in the tenant's home, an unplanned job at a neighbour's in
    the same building, and an unplanned job in another building."""
    host_request = factories.routed_request_create(chain)
    slot = chain.slot(days=4, capacity=3)
    host = appointment_plan(repair_request=host_request, slot_id=slot.pk, actor=planner)
    neighbour = neighbour_of(chain.dwelling, "A")
    waiting = factories.routed_request_create(chain, dwelling=neighbour, tenancy=None)
    elsewhere = factories.routed_request_create(
        chain,
        dwelling=factories.DwellingFactory(organisation=chain.organisation, house_number=999),
        tenancy=None,
    )
    return host, waiting, elsewhere


@pytest.mark.django_db
def test_the_queue_suggests_the_job_next_door_and_combines_it(now, planner_client, chain, building):
    host, waiting, _elsewhere = building

    # when the planner opens the list to plan
    page = planner_client.get(reverse("work_queue", args=["plan"]))

    # then the neighbour's job shows the suggestion to ride along on the planned visit, and
    # the job in another building none
    text = page.content.decode()
    assert f"Combine: {waiting.reference} along on the visit of" in text
    assert "same building" in text
    assert text.count("Combine:") == 1

    # when they click it
    response = planner_client.post(
        reverse("combine_visit", args=[waiting.reference]),
        {"visit": host.pk, "next": reverse("work_queue", args=["plan"])},
    )

    # then the job rides along on the visit, back at the list, with one place taken
    assert response.status_code == 302
    assert response.url == reverse("work_queue", args=["plan"])
    rider = Appointment.objects.get(request=waiting, status=AppointmentStatus.PLANNED)
    assert rider.shared_visit_id == host.pk
    assert Slot.objects.get(pk=host.slot_id).booked == 1
    waiting.refresh_from_db()
    assert waiting.status == Status.SCHEDULED
    planned = planner_client.get(reverse("work_queue", args=["planned"])).content.decode()
    assert "combined visit" in planned
    assert "Combine:" not in planned


@pytest.mark.django_db
def test_two_jobs_without_a_visit_are_suggested_to_plan_first(now, planner_client, chain):
    factories.routed_request_create(chain)
    factories.routed_request_create(chain)
    text = planner_client.get(reverse("work_queue", args=["plan"])).content.decode()
    assert "same home" in text
    assert "Neither has a visit yet" in text


@pytest.mark.django_db
def test_a_planner_of_another_contractor_cannot_combine(
    now, english_client, chain, other_chain, building
):
    host, waiting, _elsewhere = building
    stranger = english_client(factories.planner_create(other_chain.contractor))
    theirs = factories.scheduled_request_create(other_chain, other_chain.slot(days=4))
    their_visit = Appointment.objects.get(request=theirs)

    # their job on our visit, and our job on their visit: both 404, nothing changes
    assert (
        stranger.post(
            reverse("combine_visit", args=[waiting.reference]), {"visit": host.pk}
        ).status_code
        == 404
    )
    assert (
        stranger.post(
            reverse("combine_visit", args=[theirs.reference]), {"visit": host.pk}
        ).status_code
        == 404
    )
    own = english_client(factories.planner_create(chain.contractor))
    assert (
        own.post(
            reverse("combine_visit", args=[waiting.reference]), {"visit": their_visit.pk}
        ).status_code
        == 404
    )
    assert (
        own.post(reverse("combine_visit", args=[waiting.reference]), {"visit": "x"}).status_code
        == 404
    )
    assert not Appointment.objects.filter(request=waiting).exists()


@pytest.mark.django_db
def test_a_tenant_and_a_craftsman_cannot_combine(now, tenant_client, craftsman_client, building):
    host, waiting, _elsewhere = building
    url = reverse("combine_visit", args=[waiting.reference])
    assert tenant_client.post(url, {"visit": host.pk}).status_code == 404
    assert craftsman_client.post(url, {"visit": host.pk}).status_code in (403, 404)
    assert not Appointment.objects.filter(request=waiting).exists()


@pytest.mark.django_db
def test_a_refused_combination_says_why(now, planner_client, chain, building):
    host, _waiting, elsewhere = building
    response = planner_client.post(
        reverse("combine_visit", args=[elsewhere.reference]), {"visit": host.pk}, follow=True
    )
    assert "This visit cannot be combined with this repair." in response.content.decode()
    assert not Appointment.objects.filter(request=elsewhere).exists()


@pytest.mark.parametrize("name", ["plan", "all"])
@pytest.mark.django_db
def test_the_suggestions_ask_the_same_with_1_and_50_rows(
    now, planner_client, chain, planner, name, django_assert_max_num_queries
):
    slot = chain.slot(days=5, capacity=100)

    def add(number: int) -> None:
        # a building with a planned job and a waiting job next door: both get a suggestion
        home = factories.DwellingFactory(
            organisation=chain.organisation, house_number=1000 + number
        )
        planned = factories.routed_request_create(chain, dwelling=home, tenancy=None)
        appointment_plan(repair_request=planned, slot_id=slot.pk, actor=planner)
        factories.routed_request_create(chain, dwelling=neighbour_of(home, "A"), tenancy=None)

    add(1)
    url = reverse("work_queue", args=[name])
    planner_client.get(url)
    one = queries_of(planner_client, url)
    for number in range(2, 51):
        add(number)
    with django_assert_max_num_queries(len(one)):
        fifty = queries_of(planner_client, url)
    assert len(fifty) == len(one)
    assert "Combine:" in planner_client.get(url).content.decode()
