"""Admin pages ask the database a fixed number of questions, however many rows they show.

Each page is measured with one row and with many; the counts must be equal (no query per
row) and stay under a pinned bound (STYLE.md, Tests: query counts pinned on every page).
"""

import datetime
from collections.abc import Callable
from itertools import count

import pytest
from django.urls import reverse

from api.models import ApiClient
from api.services import api_client_create
from contractors.models import (
    Area,
    Contract,
    Contractor,
    FeeStatement,
    PostcodeRule,
    Slot,
    SroiContribution,
    WeeklySchedule,
)
from contractors.services import daypart_defaults_ensure, slots_generate
from outbox.models import OutboxMessage
from portal.models import (
    CollectiveObject,
    Dwelling,
    ImportJob,
    Neighbourhood,
    Organisation,
    StaffMembership,
    Tenancy,
)
from privacy.models import TenantData
from projects.models import Project, ProjectDwelling
from repairs.lifecycle import Status
from repairs.models import (
    MaterialReuse,
    RepairCategory,
    RepairEvent,
    RepairRequest,
    UnroutedRequest,
)
from surveys.models import ContractScorecard, FollowUp, SurveyInvitation, SurveyResponse
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_create

from . import factories
from .queries import count_queries_settled as queries_of
from .test_admin_scoping import (
    _fee_statement,
    _import_job,
    _invitation,
    _project,
    _project_dwelling,
    _reuse,
    _sroi,
    _unrouted,
    _webhook_delivery,
)

_numbers = count(1)


def _organisation(staff_user, organisation) -> Organisation:
    """Staff may belong to several associations; each one they belong to is a row they see."""
    other = factories.OrganisationFactory()
    StaffMembership.objects.create(user=staff_user, organisation=other)
    return other


def _tenancy(staff_user, organisation) -> Tenancy:
    return factories.TenancyFactory(
        dwelling=factories.DwellingFactory(organisation=organisation),
        tenant=factories.UserFactory(),
    )


def _postcode_rule(staff_user, organisation) -> PostcodeRule:
    start = 1000 + 10 * next(_numbers)
    return factories.PostcodeRuleFactory(
        area=factories.AreaFactory(organisation=organisation),
        range_start=start,
        range_end=start + 9,
    )


def _repair_request(staff_user, organisation) -> RepairRequest:
    contract = factories.ContractFactory(area=factories.AreaFactory(organisation=organisation))
    return factories.RepairRequestFactory(
        dwelling=factories.DwellingFactory(organisation=organisation),
        status=Status.ROUTED,
        contract=contract,
        contractor=contract.contractor,
    )


def _weekly_schedule(staff_user, organisation) -> WeeklySchedule:
    contract = factories.ContractFactory(area=factories.AreaFactory(organisation=organisation))
    return WeeklySchedule.objects.create(
        organisation=organisation,
        contractor=contract.contractor,
        area=contract.area,
        weekday=0,
        daypart=daypart_defaults_ensure(contractor=contract.contractor)[0],
        capacity=2,
    )


def _slot(staff_user, organisation) -> Slot:
    schedule = _weekly_schedule(staff_user, organisation)
    slots_generate(start=datetime.date(2026, 11, 30), weeks=1)
    return Slot.objects.get(area=schedule.area)


# model -> (make one more row as staff of the association sees it, pinned bound on queries)
CHANGELISTS: dict[type, tuple[Callable, int]] = {
    Organisation: (_organisation, 7),
    StaffMembership: (
        lambda staff_user, org: factories.StaffUserFactory(
            organisation=org
        ).staff_memberships.get(),
        8,
    ),
    Dwelling: (lambda staff_user, org: factories.DwellingFactory(organisation=org), 9),
    CollectiveObject: (
        lambda staff_user, org: CollectiveObject.objects.create(
            organisation=org,
            kind="DAK",
            name=f"Dak {CollectiveObject.objects.count()}",
            postcode="5611AB",
        ),
        9,
    ),
    Tenancy: (_tenancy, 8),
    Area: (lambda staff_user, org: factories.AreaFactory(organisation=org), 8),
    PostcodeRule: (_postcode_rule, 8),
    Contract: (
        lambda staff_user, org: factories.ContractFactory(
            area=factories.AreaFactory(organisation=org)
        ),
        10,
    ),
    RepairCategory: (
        lambda staff_user, org: factories.RepairCategoryFactory(organisation=org),
        8,
    ),
    RepairRequest: (_repair_request, 10),
    Contractor: (lambda staff_user, org: factories.ContractorFactory(), 6),
    WeeklySchedule: (_weekly_schedule, 9),
    Slot: (_slot, 11),
    SurveyInvitation: (lambda staff_user, org: _invitation(org), 10),
    SurveyResponse: (lambda staff_user, org: _invitation(org, grade=8).response, 12),
    FollowUp: (lambda staff_user, org: _invitation(org, grade=4).response, 10),
    MaterialReuse: (lambda staff_user, org: _reuse(org), 20),
    FeeStatement: (lambda staff_user, org: _fee_statement(org), 20),
    SroiContribution: (lambda staff_user, org: _sroi(org), 20),
    Neighbourhood: (
        lambda staff_user, org: Neighbourhood.objects.create(
            organisation=org, name=f"Buurt {next(_numbers)}"
        ),
        8,
    ),
    # the figures of all rows of the page together: a fixed few queries per trend period
    ContractScorecard: (
        lambda staff_user, org: factories.ContractFactory(
            area=factories.AreaFactory(organisation=org)
        ),
        60,
    ),
    # each project's progress counts come from one aggregate over the page's projects
    Project: (lambda staff_user, org: _project(org), 12),
    ProjectDwelling: (lambda staff_user, org: _project_dwelling(org), 12),
    ImportJob: (lambda staff_user, org: _import_job(org), 20),
    UnroutedRequest: (lambda staff_user, org: _unrouted(org), 20),
    OutboxMessage: (
        lambda staff_user, org: OutboxMessage.objects.create(
            key=f"mail-{next(_numbers)}", handler="mail.deliver", organisation=org
        ),
        20,
    ),
    ApiClient: (
        lambda staff_user, org: (
            api_client_create(
                name=f"ERP {next(_numbers)}", scopes=["OHD.Onderhoudsorders.Read"], organisation=org
            ).api_client
        ),
        8,
    ),
    WebhookEndpoint: (
        lambda staff_user, org: (
            webhook_endpoint_create(
                url=f"https://erp.example.nl/hooks/{next(_numbers)}",
                events=["order.created"],
                organisation=org,
            ).endpoint
        ),
        8,
    ),
    WebhookDelivery: (lambda staff_user, org: _webhook_delivery(org), 9),
    TenantData: (
        lambda staff_user, org: TenantData.objects.get(pk=_tenancy(staff_user, org).pk),
        8,
    ),
}


def model_id(model) -> str:
    return model._meta.label


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("model", list(CHANGELISTS), ids=model_id)
def test_changelist_queries_do_not_grow_with_rows(
    staff_client, staff_user, organisation, model, django_assert_max_num_queries
):
    # given
    make, bound = CHANGELISTS[model]
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    make(staff_user, organisation)
    with_one_row = queries_of(staff_client, url)
    for _ in range(49):
        make(staff_user, organisation)

    # when
    with_fifty_rows = queries_of(staff_client, url)
    with django_assert_max_num_queries(bound):
        response = staff_client.get(url)

    # then
    assert len(response.context["cl"].result_list) >= 50
    assert with_fifty_rows == with_one_row


def test_every_changelist_is_measured():
    # given the scoped screens that test_admin_scoping checks
    from .test_admin_scoping import SCREENS

    # when
    measured = set(CHANGELISTS)

    # then
    assert measured == set(SCREENS) | {Contractor}


@pytest.mark.django_db
def test_dwelling_change_page_queries_do_not_grow_with_tenancies(
    staff_client, organisation, django_assert_max_num_queries
):
    # given
    dwelling = factories.DwellingFactory(organisation=organisation)
    url = reverse("admin:portal_dwelling_change", args=[dwelling.pk])
    factories.TenancyFactory(dwelling=dwelling, tenant=factories.UserFactory())
    with_one = queries_of(staff_client, url)
    for _ in range(19):
        factories.TenancyFactory(dwelling=dwelling, tenant=factories.UserFactory())

    # when
    with_twenty = queries_of(staff_client, url)
    with django_assert_max_num_queries(8):
        response = staff_client.get(url)

    # then
    assert len(response.context["inline_admin_formsets"][0].formset.forms) == 20
    assert with_twenty == with_one


@pytest.mark.django_db
def test_repair_request_change_page_queries_do_not_grow_with_events(
    staff_client, staff_user, organisation, django_assert_max_num_queries
):
    # given
    repair_request = _repair_request(staff_user, organisation)
    repair_request.tenancy = factories.TenancyFactory(dwelling=repair_request.dwelling)
    repair_request.save(update_fields=["tenancy"])
    url = reverse("admin:repairs_repairrequest_change", args=[repair_request.pk])
    factories.RepairEventFactory(request=repair_request, actor=staff_user)
    with_one = queries_of(staff_client, url)
    for _ in range(29):
        factories.RepairEventFactory(request=repair_request, actor=factories.UserFactory())

    # when
    with_thirty = queries_of(staff_client, url)
    with django_assert_max_num_queries(18):
        response = staff_client.get(url)

    # then
    events = next(
        inline
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.model is RepairEvent
    )
    assert len(events.formset.forms) == 30
    assert with_thirty == with_one
