"""Rejecting a request: staff of its association (in the admin) or the planner of its
contractor find it is not theirs to carry out (the tenant's own job, or not a repair) and say
why. A planned visit is cancelled and its place in the daypart given back; the tenant reads
the reason and what they can do next on their request page.

Everyone else gets the project's answer for work that is not theirs: 404 (a craftsman of the
contractor too, since rejecting is the planner's; see tests/test_contractor_access.py)."""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url
from django.urls import reverse

from portal.errors import TransitionNotAllowed
from repairs import services
from repairs.lifecycle import Status
from repairs.models import AppointmentStatus, RepairEvent
from repairs.services import ReasonRequired

from . import factories
from .queries import queries_of

REASON = "A blocked kitchen sink is the tenant's own job; the advice is on the portal."

# Pinned: what the pages ask with the reject form or the rejection on them.
CONTRACTOR_REQUEST_PAGE_QUERIES = 10
TENANT_REQUEST_PAGE_QUERIES = 12
ADMIN_REJECT_PAGE_QUERIES = 10


def reject_url(repair_request) -> str:
    return reverse("reject_request", args=[repair_request.reference])


def admin_reject_url(repair_request) -> str:
    return reverse("admin:repairs_repairrequest_reject", args=[repair_request.pk])


def admin_change_url(repair_request) -> str:
    return reverse("admin:repairs_repairrequest_change", args=[repair_request.pk])


@pytest.fixture
def scheduled(now, chain):
    """A request of the chain's tenant with a visit planned in a daypart of two days on."""
    slot = chain.slot(days=2, capacity=2)
    repair_request = factories.scheduled_request_create(chain, slot)
    slot.refresh_from_db()
    assert slot.booked == 1
    return repair_request, slot


@pytest.fixture
def staff_client(english_client, staff_user):
    return english_client(staff_user)


def rejected_events(repair_request):
    return list(
        RepairEvent.objects.filter(request=repair_request, status=Status.REJECTED).values_list(
            "actor_id", "note"
        )
    )


# -- the planner ------------------------------------------------------------------------


def test_the_planner_rejects_a_planned_request_and_its_daypart_is_free_again(
    scheduled, planner, planner_client
):
    # given a request with a planned visit, on the planner's request page
    repair_request, slot = scheduled
    page = planner_client.get(reverse("contractor_request", args=[repair_request.reference]))
    assert f'action="{reject_url(repair_request)}"' in page.content.decode()

    # when the planner rejects it with a reason
    response = planner_client.post(
        reject_url(repair_request), {"category": "tenant", "reason": f"  {REASON}  "}
    )

    # then the request is rejected, the event names the planner and the reason
    assert response.status_code == 302
    assert response.url == reverse("contractor_request", args=[repair_request.reference])
    repair_request.refresh_from_db()
    assert repair_request.status == Status.REJECTED
    assert rejected_events(repair_request) == [(planner.pk, REASON)]
    # and the visit is cancelled and its place in the daypart given back
    visit = repair_request.appointments.get()
    assert visit.status == AppointmentStatus.CANCELLED
    slot.refresh_from_db()
    assert slot.booked == 0
    # and the page says what happens next, and offers no second rejection
    page = planner_client.get(response.url)
    html = page.content.decode()
    assert "The request is rejected. The tenant reads your reason in the portal" in html
    assert reject_url(repair_request) not in html


def test_the_planner_must_give_a_reason(scheduled, planner_client):
    # given a request with a planned visit
    repair_request, slot = scheduled

    # when the planner rejects it without a reason
    response = planner_client.post(
        reject_url(repair_request), {"category": "tenant", "reason": "   "}
    )

    # then the page says the reason is needed, next to the field, and nothing changed
    assert response.status_code == 422
    html = response.content.decode()
    assert "Give the reason: the tenant reads it." in html
    assert 'id="reject-reason-error"' in html
    repair_request.refresh_from_db()
    assert repair_request.status == Status.SCHEDULED
    assert rejected_events(repair_request) == []
    slot.refresh_from_db()
    assert slot.booked == 1
    assert repair_request.appointments.get().status == AppointmentStatus.PLANNED


def test_a_completed_request_is_not_rejected_and_offers_no_form(now, chain, planner_client):
    # given a completed request
    repair_request = factories.routed_request_create(chain, status=Status.COMPLETED)

    # then its page offers no rejection
    page = planner_client.get(reverse("contractor_request", args=[repair_request.reference]))
    assert reject_url(repair_request) not in page.content.decode()

    # and posting one anyway is refused with the reason, and changes nothing
    response = planner_client.post(
        reject_url(repair_request), {"category": "tenant", "reason": REASON}, follow=True
    )
    assert response.redirect_chain == [
        (reverse("contractor_request", args=[repair_request.reference]), 302)
    ]
    assert "A request that is “Completed” can no longer be rejected." in (response.content.decode())
    repair_request.refresh_from_db()
    assert repair_request.status == Status.COMPLETED
    assert rejected_events(repair_request) == []


def test_a_craftsman_sees_no_rejection_and_posting_one_is_404(
    now, chain, craftsman, craftsman_client
):
    # given a request of the craftsman's own contractor, with their own visit
    slot = chain.slot(days=2, capacity=2)
    repair_request = factories.scheduled_request_create(chain, slot, craftsman=craftsman)

    # then its page offers the craftsman no rejection
    page = craftsman_client.get(reverse("contractor_request", args=[repair_request.reference]))
    assert page.status_code == 200
    assert reject_url(repair_request) not in page.content.decode()

    # and posting one is 404, and nothing changed
    assert (
        craftsman_client.post(
            reject_url(repair_request), {"category": "tenant", "reason": REASON}
        ).status_code
        == 404
    )
    repair_request.refresh_from_db()
    assert repair_request.status == Status.SCHEDULED
    slot.refresh_from_db()
    assert slot.booked == 1


@pytest.mark.parametrize(
    "who",
    [
        "other-contractors-planner",
        "same-association-planner",
        "tenant",
        "own-associations-staff",
    ],
)
def test_nobody_else_rejects_through_the_contractor_page(
    scheduled, chain, other_chain, english_client, who
):
    # given a request of the chain's contractor, and someone who is not its planner
    repair_request, slot = scheduled
    user = {
        "other-contractors-planner": lambda: factories.planner_create(other_chain.contractor),
        "same-association-planner": lambda: factories.planner_create(
            factories.ContractFactory(
                area=factories.AreaFactory(organisation=chain.organisation)
            ).contractor
        ),
        "tenant": lambda: chain.tenant,
        "own-associations-staff": lambda: factories.StaffUserFactory(
            organisation=chain.organisation
        ),
    }[who]()

    # when they post a rejection
    response = english_client(user).post(
        reject_url(repair_request), {"category": "tenant", "reason": REASON}
    )

    # then it is 404, as for a request that does not exist, and nothing changed
    assert response.status_code == 404
    repair_request.refresh_from_db()
    assert repair_request.status == Status.SCHEDULED
    slot.refresh_from_db()
    assert slot.booked == 1


def test_anyone_not_logged_in_is_sent_to_log_in(scheduled, client):
    repair_request, _slot = scheduled

    response = client.post(reject_url(repair_request), {"category": "tenant", "reason": REASON})

    assert response.status_code == 302
    assert response.url.startswith(resolve_url(settings.LOGIN_URL))
    repair_request.refresh_from_db()
    assert repair_request.status == Status.SCHEDULED


def test_the_request_page_with_the_reject_form_asks_the_same_with_1_and_30_events(
    scheduled, planner, planner_client, django_assert_max_num_queries
):
    # given the planner's page of a request that may be rejected, with one event
    repair_request, _slot = scheduled
    url = reverse("contractor_request", args=[repair_request.reference])
    planner_client.get(url)
    with django_assert_max_num_queries(CONTRACTOR_REQUEST_PAGE_QUERIES):
        one = queries_of(planner_client, url)

    # when it has 30
    for _ in range(29):
        factories.RepairEventFactory(request=repair_request, kind="note", actor=planner)
    with django_assert_max_num_queries(CONTRACTOR_REQUEST_PAGE_QUERIES):
        thirty = queries_of(planner_client, url)

    # then the page asks the same
    assert len(thirty) == len(one)


# -- staff in the admin -----------------------------------------------------------------


def test_staff_reject_a_request_of_their_association_in_the_admin(
    scheduled, staff_user, staff_client
):
    # given a request with a planned visit, whose admin page offers "Reject…"
    repair_request, slot = scheduled
    change = staff_client.get(admin_change_url(repair_request))
    assert admin_reject_url(repair_request) in change.content.decode()

    # when staff open the rejection and give the reason
    form = staff_client.get(admin_reject_url(repair_request))
    assert form.status_code == 200
    assert 'name="reason"' in form.content.decode()
    response = staff_client.post(
        admin_reject_url(repair_request), {"category": "tenant", "reason": REASON}
    )

    # then the request is rejected by them with the reason, and the daypart is free again
    assert response.status_code == 302
    assert response.url == admin_change_url(repair_request)
    repair_request.refresh_from_db()
    assert repair_request.status == Status.REJECTED
    assert rejected_events(repair_request) == [(staff_user.pk, REASON)]
    assert repair_request.appointments.get().status == AppointmentStatus.CANCELLED
    slot.refresh_from_db()
    assert slot.booked == 0
    # and the page says so, and no longer offers "Reject…"
    page = staff_client.get(response.url)
    html = page.content.decode()
    assert f"Request {repair_request.reference} is rejected." in html
    assert admin_reject_url(repair_request) not in html


def test_staff_reject_an_unrouted_request(now, chain, staff_user, staff_client):
    # given a request no area covers, waiting for staff
    repair_request = factories.routed_request_create(
        chain, status=Status.UNROUTED, contract=None, contractor=None
    )

    # when staff reject it
    response = staff_client.post(
        admin_reject_url(repair_request), {"category": "tenant", "reason": REASON}
    )

    # then it is rejected
    assert response.status_code == 302
    repair_request.refresh_from_db()
    assert repair_request.status == Status.REJECTED
    assert rejected_events(repair_request) == [(staff_user.pk, REASON)]


def test_staff_must_give_a_reason(scheduled, staff_client):
    repair_request, slot = scheduled

    response = staff_client.post(
        admin_reject_url(repair_request), {"category": "tenant", "reason": ""}
    )

    assert response.status_code == 422
    assert "Give the reason: the tenant reads it." in response.content.decode()
    repair_request.refresh_from_db()
    assert repair_request.status == Status.SCHEDULED
    slot.refresh_from_db()
    assert slot.booked == 1


def test_staff_cannot_reject_a_cancelled_request(now, chain, staff_client):
    # given a request the tenant cancelled
    repair_request = factories.routed_request_create(chain, status=Status.CANCELLED)

    # then its admin page offers no rejection, and the rejection page sends them back
    assert admin_reject_url(repair_request) not in (
        staff_client.get(admin_change_url(repair_request)).content.decode()
    )
    response = staff_client.post(
        admin_reject_url(repair_request), {"category": "tenant", "reason": REASON}, follow=True
    )
    assert "can no longer be rejected" in response.content.decode()
    repair_request.refresh_from_db()
    assert repair_request.status == Status.CANCELLED
    assert rejected_events(repair_request) == []


def test_staff_of_another_association_get_404(scheduled, other_staff_user, english_client):
    repair_request, slot = scheduled
    client = english_client(other_staff_user)

    assert client.get(admin_reject_url(repair_request)).status_code == 404
    assert (
        client.post(
            admin_reject_url(repair_request), {"category": "tenant", "reason": REASON}
        ).status_code
        == 404
    )

    repair_request.refresh_from_db()
    assert repair_request.status == Status.SCHEDULED
    slot.refresh_from_db()
    assert slot.booked == 1


@pytest.mark.parametrize("who", ["planner", "tenant"])
def test_the_admin_rejection_is_not_for_planners_or_tenants(
    scheduled, chain, planner, english_client, who
):
    repair_request, _slot = scheduled
    user = planner if who == "planner" else chain.tenant

    response = english_client(user).post(
        admin_reject_url(repair_request), {"category": "tenant", "reason": REASON}
    )

    assert response.status_code == 302  # to the admin's login
    assert "login" in response.url
    repair_request.refresh_from_db()
    assert repair_request.status == Status.SCHEDULED


def test_the_admin_rejection_page_asks_a_fixed_number_of_queries(
    scheduled, staff_client, django_assert_max_num_queries
):
    repair_request, _slot = scheduled
    url = admin_reject_url(repair_request)
    staff_client.get(url)

    with django_assert_max_num_queries(ADMIN_REJECT_PAGE_QUERIES):
        queries_of(staff_client, url)


# -- the service ------------------------------------------------------------------------


@pytest.mark.parametrize("status", [Status.UNROUTED, Status.ROUTED, Status.FOLLOW_UP])
def test_the_lifecycle_allows_rejecting_an_open_request(now, chain, planner, status):
    repair_request = factories.routed_request_create(chain, status=status)

    services.repair_request_reject(
        repair_request=repair_request, actor=planner, reason=REASON, category="tenant"
    )

    repair_request.refresh_from_db()
    assert repair_request.status == Status.REJECTED
    assert rejected_events(repair_request) == [(planner.pk, REASON)]


@pytest.mark.parametrize(
    "status", [Status.SUBMITTED, Status.COMPLETED, Status.CANCELLED, Status.REJECTED]
)
def test_the_lifecycle_refuses_rejecting_any_other_request(now, chain, planner, status):
    repair_request = factories.routed_request_create(chain, status=status)

    with pytest.raises(TransitionNotAllowed):
        services.repair_request_reject(
            repair_request=repair_request, actor=planner, reason=REASON, category="tenant"
        )

    repair_request.refresh_from_db()
    assert repair_request.status == status
    assert rejected_events(repair_request) == []


def test_an_empty_reason_is_refused_before_anything_changes(scheduled, planner):
    repair_request, slot = scheduled

    with pytest.raises(ReasonRequired):
        services.repair_request_reject(
            repair_request=repair_request, actor=planner, reason=" ", category="tenant"
        )

    slot.refresh_from_db()
    assert slot.booked == 1


# -- the contractor's mail ---------------------------------------------------------------


def contractor_mails(mailoutbox, chain) -> list[tuple[str, str]]:
    return [(m.subject, m.body) for m in mailoutbox if m.to == [chain.contractor.email]]


def test_staff_rejecting_mails_the_contractor_once_in_dutch(
    scheduled, chain, staff_client, django_capture_on_commit_callbacks, mailoutbox
):
    # given a request with a planned visit of the chain's contractor
    repair_request, _slot = scheduled

    # when staff reject it
    with django_capture_on_commit_callbacks(execute=True):
        staff_client.post(
            admin_reject_url(repair_request), {"category": "tenant", "reason": REASON}
        )

    # then the contractor gets one mail saying so, as for a cancellation
    ((subject, body),) = contractor_mails(mailoutbox, chain)
    assert subject == (
        f"Afgewezen door de corporatie: reparatie {repair_request.reference}, "
        f"{repair_request.dwelling.address_line}"
    )
    assert "De woningcorporatie heeft de reparatie afgewezen" in body


def test_the_planner_rejecting_mails_nobody(
    scheduled, chain, planner_client, django_capture_on_commit_callbacks, mailoutbox
):
    repair_request, _slot = scheduled

    with django_capture_on_commit_callbacks(execute=True):
        planner_client.post(reject_url(repair_request), {"category": "tenant", "reason": REASON})

    repair_request.refresh_from_db()
    assert repair_request.status == Status.REJECTED
    assert mailoutbox == []


# -- the tenant -------------------------------------------------------------------------


def test_the_tenant_reads_the_rejection_its_reason_and_what_to_do(
    scheduled, chain, planner, tenant_client
):
    # given the planner rejected the tenant's request
    repair_request, _slot = scheduled
    chain.organisation.contact_phone = "040 123 45 67"
    chain.organisation.save(update_fields=["contact_phone"])
    services.repair_request_reject(
        repair_request=repair_request, actor=planner, reason=REASON, category="tenant"
    )
    url = reverse("repair_detail", args=[repair_request.reference])

    # when the tenant opens their request
    html = tenant_client.get(url).content.decode()

    # then they read that it is rejected, why, and what they can do
    assert "Rejected" in html
    assert "Not for us to carry out" in html
    assert html.count("Reason: A blocked kitchen sink is the tenant&#x27;s own job") == 2
    assert "Call Woonstichting Kempenland on 040 123 45 67." in html
    assert reverse("report_start") in html
    # and no visit to move or cancel
    assert reverse("repair_cancel", args=[repair_request.reference]) not in html
    assert reverse("repair_reschedule", args=[repair_request.reference]) not in html


def test_the_tenant_reads_it_in_dutch(scheduled, chain, planner, tenant_client):
    repair_request, _slot = scheduled
    services.repair_request_reject(
        repair_request=repair_request, actor=planner, reason=REASON, category="tenant"
    )
    tenant_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"
    chain.tenant.language = "nl"
    chain.tenant.save(update_fields=["language"])

    html = tenant_client.get(
        reverse("repair_detail", args=[repair_request.reference]),
    ).content.decode()

    assert "Afgewezen" in html
    assert "Niet door ons uit te voeren" in html
    assert "Wat u kunt doen" in html
    assert (
        "Bent u het er niet mee eens, of heeft u een vraag? Bel Woonstichting Kempenland." in html
    )


def test_the_rejected_request_page_asks_the_same_with_1_and_30_events(
    scheduled, planner, tenant_client, django_assert_max_num_queries
):
    # given a rejected request with its events
    repair_request, _slot = scheduled
    services.repair_request_reject(
        repair_request=repair_request, actor=planner, reason=REASON, category="tenant"
    )
    url = reverse("repair_detail", args=[repair_request.reference])
    tenant_client.get(url)
    with django_assert_max_num_queries(TENANT_REQUEST_PAGE_QUERIES):
        one = queries_of(tenant_client, url)

    # when it has 30 more
    for _ in range(30):
        factories.RepairEventFactory(request=repair_request, kind="note", actor=planner)
    with django_assert_max_num_queries(TENANT_REQUEST_PAGE_QUERIES):
        thirty = queries_of(tenant_client, url)

    # then the page asks the same
    assert len(thirty) == len(one)


# -- the reason's category and the recharge flag ------------------------------------------


def test_the_planner_must_choose_why(scheduled, planner_client):
    # given a request with a planned visit
    repair_request, slot = scheduled

    # when the planner rejects it with a reason but no category
    response = planner_client.post(reject_url(repair_request), {"reason": REASON})

    # then the page asks for the category next to its choices, keeps the reason, and
    # nothing changed
    assert response.status_code == 422
    html = response.content.decode()
    assert "Choose why the request is rejected: the tenant reads what to do." in html
    assert 'id="reject-category-error"' in html
    assert REASON.replace("'", "&#x27;") in html
    repair_request.refresh_from_db()
    assert (repair_request.status, repair_request.reject_category) == (Status.SCHEDULED, "")
    assert rejected_events(repair_request) == []
    slot.refresh_from_db()
    assert slot.booked == 1


@pytest.mark.parametrize("category", ["", "other", "TENANT"])
def test_an_unknown_category_is_refused_before_anything_changes(scheduled, planner, category):
    repair_request, _slot = scheduled

    with pytest.raises(services.CategoryRequired):
        services.repair_request_reject(
            repair_request=repair_request, actor=planner, reason=REASON, category=category
        )

    repair_request.refresh_from_db()
    assert repair_request.status == Status.SCHEDULED


@pytest.mark.parametrize("category", ["duplicate", "not_ours"])
def test_only_the_tenants_own_job_is_recharged(scheduled, staff_client, category):
    repair_request, _slot = scheduled

    response = staff_client.post(
        admin_reject_url(repair_request),
        {"category": category, "recharge": "on", "reason": REASON},
    )

    assert response.status_code == 422
    assert "Only a job that is the tenant&#x27;s own responsibility can be recharged." in (
        response.content.decode()
    )
    repair_request.refresh_from_db()
    assert (repair_request.status, repair_request.recharge_tenant) == (Status.SCHEDULED, False)


def test_staff_reject_as_the_tenants_job_with_a_recharge_and_filter_on_it(
    scheduled, chain, staff_user, staff_client
):
    # given a request with a planned visit, and another one that is not recharged
    repair_request, _slot = scheduled
    other = factories.routed_request_create(chain)
    assert (
        "reject-category-tenant"
        in staff_client.get(admin_reject_url(repair_request)).content.decode()
    )

    # when staff reject it as the tenant's own job, to be recharged
    response = staff_client.post(
        admin_reject_url(repair_request),
        {"category": "tenant", "recharge": "on", "reason": REASON},
    )

    # then it is stored with the event
    assert response.status_code == 302
    repair_request.refresh_from_db()
    assert (repair_request.reject_category, repair_request.recharge_tenant) == ("tenant", True)
    assert RepairEvent.objects.get(request=repair_request, status=Status.REJECTED).data == {
        "category": "tenant",
        "recharge": True,
    }
    # and the staff list filtered on "recharge" shows it, not the other
    listed = staff_client.get(
        reverse("admin:repairs_repairrequest_changelist") + "?after=recharge"
    ).content.decode()
    assert repair_request.reference in listed
    assert other.reference not in listed


def test_the_recharge_list_asks_the_same_for_1_and_50_rows(now, chain, staff_client):
    url = reverse("admin:repairs_repairrequest_changelist") + "?after=recharge"

    def rejected():
        factories.routed_request_create(
            chain,
            status=Status.REJECTED,
            reject_category="tenant",
            recharge_tenant=True,
        )

    rejected()
    staff_client.get(url)
    one = len(queries_of(staff_client, url))
    for _ in range(49):
        rejected()
    assert len(queries_of(staff_client, url)) == one


def test_the_recharge_list_is_of_the_own_association_only(
    now, chain, other_staff_user, english_client
):
    repair_request = factories.routed_request_create(
        chain, status=Status.REJECTED, reject_category="tenant", recharge_tenant=True
    )
    listed = english_client(other_staff_user).get(
        reverse("admin:repairs_repairrequest_changelist") + "?after=recharge"
    )
    assert repair_request.reference not in listed.content.decode()


@pytest.mark.parametrize(
    ("category", "why", "what"),
    [
        (
            "tenant",
            "Why: on site it was found that this repair is your own responsibility",
            "What to do: repair it yourself or have a company of your choice do it.",
        ),
        (
            "duplicate",
            "Why: this was already reported, by you or a neighbour.",
            "What to do: nothing.",
        ),
        (
            "not_ours",
            "Why: this is not the property of your housing association",
            "What to do: contact the owner;",
        ),
    ],
)
def test_the_tenant_reads_why_and_what_to_do_per_category(
    scheduled, planner, tenant_client, category, why, what
):
    repair_request, _slot = scheduled
    services.repair_request_reject(
        repair_request=repair_request, actor=planner, reason=REASON, category=category
    )

    html = tenant_client.get(
        reverse("repair_detail", args=[repair_request.reference])
    ).content.decode()

    assert why in html
    assert what in html
    assert "may charge you the costs" not in html


def test_the_tenant_reads_a_recharge_in_dutch(scheduled, chain, planner, tenant_client):
    repair_request, _slot = scheduled
    services.repair_request_reject(
        repair_request=repair_request,
        actor=planner,
        reason=REASON,
        category="tenant",
        recharge=True,
    )
    tenant_client.defaults["HTTP_ACCEPT_LANGUAGE"] = "nl"
    chain.tenant.language = "nl"
    chain.tenant.save(update_fields=["language"])

    html = tenant_client.get(
        reverse("repair_detail", args=[repair_request.reference])
    ).content.decode()

    assert "ter plaatse is vastgesteld dat deze reparatie uw eigen verantwoordelijkheid" in html
    assert "Uw corporatie kan de kosten van het bezoek bij u in rekening brengen." in html


def test_staff_see_the_category_and_recharge_on_the_request(now, chain, staff_client):
    repair_request = factories.routed_request_create(
        chain, status=Status.REJECTED, reject_category="tenant", recharge_tenant=True
    )

    html = staff_client.get(admin_change_url(repair_request)).content.decode()

    assert "The tenant&#x27;s own responsibility (found on site)" in html
    assert "Recharge to the tenant" in html
