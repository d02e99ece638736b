"""The unrouted queue (repairs/admin.py, UnroutedRequestAdmin): requests no area covers, with
their postcode; staff are mailed once when one arrives, fix the postcode rules or contracts and
route them again."""

import pytest
from django.urls import reverse

from repairs.lifecycle import Status
from repairs.models import RepairEvent, RepairRequest
from repairs.services import repair_request_route, repair_request_submit
from repairs.tasks import unrouted_request_alert_sweep

from . import factories
from .test_fee_admin import table

QUEUE_URL = reverse("admin:repairs_unroutedrequest_changelist")


@pytest.fixture
def staff_client(english_client, staff_user):
    return english_client(staff_user)


@pytest.fixture
def other_staff_client(english_client, other_staff_user):
    return english_client(other_staff_user)


def report(chain, dwelling, capture) -> RepairRequest:
    """A tenant's report for the dwelling, with what happens after the commit."""
    with capture(execute=True):
        return repair_request_submit(
            dwelling=dwelling,
            category=chain.category,
            description="De voordeur sluit niet meer.",
            reported_by=chain.tenant,
        )


@pytest.mark.django_db
def test_a_request_no_area_covers_waits_and_staff_are_mailed_once(
    chain, staff_user, other_staff_user, django_capture_on_commit_callbacks, mailoutbox
):
    # given a dwelling outside every postcode rule of the association (5600–5699)
    outside = factories.DwellingFactory(
        organisation=chain.organisation, postcode="9999ZZ", street="Grensweg", house_number=7
    )

    # when it is reported
    repair_request = report(chain, outside, django_capture_on_commit_callbacks)

    # then it waits as unrouted and the association's staff, only they, got one mail
    repair_request.refresh_from_db()
    assert (repair_request.status, repair_request.contract_id) == (Status.UNROUTED, None)
    assert repair_request.unrouted_alert_sent_at is not None
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.to == [staff_user.email]
    assert repair_request.reference in mail.subject
    assert "9999 ZZ" in mail.body

    # when it is routed again without a fix, and the sweep runs
    with django_capture_on_commit_callbacks(execute=True):
        repair_request_route(repair_request=repair_request)
    unrouted_request_alert_sweep.delay()

    # then still unrouted, and no second mail
    repair_request.refresh_from_db()
    assert repair_request.status == Status.UNROUTED
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_the_queue_lists_only_unrouted_requests_with_their_postcode(
    staff_client, chain, django_capture_on_commit_callbacks
):
    # given two unrouted reports and a routed one
    first = report(
        chain,
        factories.DwellingFactory(organisation=chain.organisation, postcode="9999ZZ"),
        django_capture_on_commit_callbacks,
    )
    second = report(
        chain,
        factories.DwellingFactory(organisation=chain.organisation, postcode="1234AB"),
        django_capture_on_commit_callbacks,
    )
    routed = report(chain, chain.dwelling, django_capture_on_commit_callbacks)
    assert routed.status == Status.ROUTED

    # when
    response = staff_client.get(QUEUE_URL)

    # then
    assert response.status_code == 200
    assert {obj.pk for obj in response.context["cl"].result_list} == {first.pk, second.pk}
    rows = {row[1]: row[3] for row in table(response, "result_list")[1:]}
    assert rows == {first.reference: "9999 ZZ", second.reference: "1234 AB"}


@pytest.mark.django_db
def test_route_again_after_the_rules_are_fixed(
    staff_client, staff_user, chain, django_capture_on_commit_callbacks, mailoutbox
):
    # given an unrouted report from 9999ZZ, and one from 1234AB that stays uncovered
    fixed = report(
        chain,
        factories.DwellingFactory(organisation=chain.organisation, postcode="9999ZZ"),
        django_capture_on_commit_callbacks,
    )
    stays = report(
        chain,
        factories.DwellingFactory(organisation=chain.organisation, postcode="1234AB"),
        django_capture_on_commit_callbacks,
    )
    assert len(mailoutbox) == 2

    # when staff add 9999ZZ to the chain's area (which has a contract) and route both again
    factories.PostcodeRuleFactory(
        area=chain.area, range_start=None, range_end=None, postcode="9999ZZ"
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post(
            QUEUE_URL,
            {"action": "route_again", "_selected_action": [fixed.pk, stays.pk], "index": 0},
            follow=True,
        )

    # then the fixed one is routed to the chain's contract, by staff, and left the queue
    fixed.refresh_from_db()
    stays.refresh_from_db()
    assert (fixed.status, fixed.contract, fixed.contractor) == (
        Status.ROUTED,
        chain.contract,
        chain.contractor,
    )
    event = RepairEvent.objects.filter(request=fixed).last()
    assert (event.status, event.actor) == (Status.ROUTED, staff_user)
    assert stays.status == Status.UNROUTED
    assert [str(message) for message in response.context["messages"]] == ["1 request routed."]
    assert {obj.pk for obj in response.context["cl"].result_list} == {stays.pk}
    # no new alert for the one still waiting
    assert len(mailoutbox) == 2


@pytest.mark.django_db
def test_other_associations_staff_see_none_of_the_queue_and_cannot_route_it(
    other_staff_client, staff_client, chain, other_chain, django_capture_on_commit_callbacks
):
    # given an unrouted request of A, whose postcode B's rules do not matter for
    waiting = report(
        chain,
        factories.DwellingFactory(organisation=chain.organisation, postcode="9999ZZ"),
        django_capture_on_commit_callbacks,
    )
    factories.PostcodeRuleFactory(
        area=chain.area, range_start=None, range_end=None, postcode="9999ZZ"
    )

    # when staff of B list the queue, open it and forge the action
    listed = other_staff_client.get(QUEUE_URL)
    opened = other_staff_client.get(
        reverse("admin:repairs_unroutedrequest_change", args=[waiting.pk])
    )
    forged = other_staff_client.post(
        QUEUE_URL, {"action": "route_again", "_selected_action": [waiting.pk], "index": 0}
    )

    # then
    assert list(listed.context["cl"].result_list) == []
    assert waiting.reference not in listed.content.decode()
    assert opened.status_code == 404
    assert forged.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.status, waiting.contract_id) == (Status.UNROUTED, None)
    assert [obj.pk for obj in staff_client.get(QUEUE_URL).context["cl"].result_list] == [waiting.pk]


@pytest.mark.django_db
def test_the_queue_is_refused_to_tenants(client, chain):
    # given
    client.force_login(chain.tenant)

    # when
    response = client.get(QUEUE_URL)

    # then
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
