"""Staff of one association see and pick only that association's rows in the admin.

Every screen that inherits OrganisationScopedAdmin is checked here with a row of association A
and a row of association B; an object outside the user's scope answers 404 (DESIGN.md,
Multi-tenancy).
"""

import datetime
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.core.files.base import ContentFile
from django.db import models
from django.forms import ModelChoiceField
from django.urls import reverse

from api.models import ApiClient
from api.services import api_client_create
from contractors.models import (
    Area,
    Contract,
    Contractor,
    ContractorMembership,
    Daypart,
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
    User,
)
from portal.scoping import OrganisationScopedAdmin, _organisation_path
from privacy.models import TenantData
from projects.models import Project, ProjectDwelling
from repairs.lifecycle import Status
from repairs.models import MaterialReuse, RepairCategory, RepairRequest, UnroutedRequest
from surveys.models import (
    ContractScorecard,
    FollowUp,
    InvitationStatus,
    KpiDashboard,
    SurveyInvitation,
    SurveyResponse,
)
from webhooks.models import WebhookDelivery, WebhookEndpoint
from webhooks.services import webhook_endpoint_create, webhook_event_emit

from . import factories


@dataclass(frozen=True)
class Screen:
    """How to make one row of an association for a model, and what finds it in the search."""

    make: Callable[[Organisation], models.Model]
    search_term: Callable[[models.Model], str]
    # Foreign keys the add form offers to staff (None: staff may not add these rows).
    add_form_choices: frozenset[str] | None


def _staff_membership(organisation: Organisation) -> StaffMembership:
    user = factories.StaffUserFactory(organisation=organisation)
    return user.staff_memberships.get()


def _postcode_rule(organisation: Organisation) -> PostcodeRule:
    return factories.PostcodeRuleFactory(area=factories.AreaFactory(organisation=organisation))


def _contract(organisation: Organisation) -> Contract:
    return factories.ContractFactory(area=factories.AreaFactory(organisation=organisation))


def _tenancy(organisation: Organisation) -> Tenancy:
    return factories.TenancyFactory(dwelling=factories.DwellingFactory(organisation=organisation))


def _repair_request(organisation: Organisation) -> RepairRequest:
    return factories.RepairRequestFactory(
        dwelling=factories.DwellingFactory(organisation=organisation)
    )


def _weekly_schedule(organisation: Organisation) -> WeeklySchedule:
    contract = _contract(organisation)
    daypart = daypart_defaults_ensure(contractor=contract.contractor)[0]
    return WeeklySchedule.objects.create(
        organisation=organisation,
        contractor=contract.contractor,
        area=contract.area,
        weekday=0,
        daypart=daypart,
        capacity=3,
    )


def _slot(organisation: Organisation) -> Slot:
    schedule = _weekly_schedule(organisation)
    slots_generate(start=datetime.date(2026, 11, 30), weeks=1)
    return Slot.objects.get(area=schedule.area)


def _invitation(
    organisation: Organisation, grade: int | None = None, *, may_contact: bool = False
) -> SurveyInvitation:
    contract = _contract(organisation)
    repair_request = factories.RepairRequestFactory(
        dwelling=factories.DwellingFactory(organisation=organisation),
        status=Status.COMPLETED,
        contract=contract,
        contractor=contract.contractor,
    )
    invitation = SurveyInvitation.objects.create(
        organisation=organisation,
        request=repair_request,
        contractor=contract.contractor,
        area=contract.area,
        email="huurder@example.nl",
        status=InvitationStatus.SENT,
        due_at=datetime.datetime(2026, 11, 2, 10, tzinfo=datetime.UTC),
    )
    if grade is not None:
        SurveyResponse.objects.create(
            organisation=organisation,
            invitation=invitation,
            contractor=contract.contractor,
            area=contract.area,
            overall_grade=grade,
            may_contact=may_contact,
        )
    return invitation


def _reuse(organisation: Organisation) -> MaterialReuse:
    appointment = factories.AppointmentFactory(
        request=factories.RepairRequestFactory(
            dwelling=factories.DwellingFactory(organisation=organisation)
        )
    )
    return MaterialReuse.objects.create(
        organisation=organisation,
        appointment=appointment,
        contractor=appointment.contractor,
        description=f"Binnendeur {organisation.slug}",
        quantity=1,
        source="depot",
    )


def _fee_statement(organisation: Organisation) -> FeeStatement:
    return FeeStatement.objects.create(
        organisation=organisation,
        period_kind="month",
        period_start=datetime.date(2026, organisation.pk % 12 + 1, 1),
        period_end=datetime.date(2026, organisation.pk % 12 + 1, 28),
        total=0,
    )


def _sroi(organisation: Organisation) -> SroiContribution:
    return SroiContribution.objects.create(
        organisation=organisation,
        contract=_contract(organisation),
        date=datetime.date(2026, 6, 1),
        neighbourhood="Woensel",
        buurt=_neighbourhood(organisation),
        description=f"Speeltuin {organisation.slug}",
        value=1500,
    )


def _neighbourhood(organisation: Organisation) -> Neighbourhood:
    return Neighbourhood.objects.create(
        organisation=organisation, name=f"Buurt {organisation.slug} {Neighbourhood.objects.count()}"
    )


def _scorecard(organisation: Organisation) -> ContractScorecard:
    return ContractScorecard.objects.get(pk=_contract(organisation).pk)


def _import_job(organisation: Organisation) -> ImportJob:
    return ImportJob.objects.create(
        organisation=organisation,
        kind="dwellings",
        file=ContentFile(b"vhe_nummer\n", name=f"woningen-{organisation.slug}.csv"),
    )


def _project(organisation: Organisation) -> Project:
    return Project.objects.create(
        organisation=organisation,
        name=f"Kozijnen {organisation.slug} {Project.objects.count()}",
        contract=_contract(organisation),
        category=factories.RepairCategoryFactory(organisation=organisation),
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2027, 1, 31),
        letter="Wij vervangen de kozijnen.",
    )


def _project_dwelling(organisation: Organisation) -> ProjectDwelling:
    return ProjectDwelling.objects.create(
        organisation=organisation,
        project=_project(organisation),
        dwelling=factories.DwellingFactory(organisation=organisation),
    )


def _unrouted(organisation: Organisation) -> UnroutedRequest:
    repair_request = factories.RepairRequestFactory(
        dwelling=factories.DwellingFactory(organisation=organisation), status=Status.UNROUTED
    )
    return UnroutedRequest.objects.get(pk=repair_request.pk)


SCREENS: dict[type[models.Model], Screen] = {
    Organisation: Screen(lambda org: org, lambda obj: obj.name, None),
    StaffMembership: Screen(_staff_membership, lambda obj: obj.user.email, None),
    Dwelling: Screen(
        lambda org: factories.DwellingFactory(organisation=org, city=f"Stad {org.slug}"),
        lambda obj: obj.reference,
        frozenset({"organisation"}),
    ),
    Tenancy: Screen(
        _tenancy, lambda obj: obj.contract_number, frozenset({"organisation", "dwelling"})
    ),
    # Common areas of the association's complexes (staff intake takes reports on them).
    CollectiveObject: Screen(
        lambda org: CollectiveObject.objects.create(
            organisation=org, kind="LFT", name=f"Lift {org.slug}", postcode="5611AB"
        ),
        lambda obj: obj.name,
        frozenset({"organisation"}),
    ),
    Area: Screen(
        lambda org: factories.AreaFactory(organisation=org),
        lambda obj: obj.name,
        frozenset({"organisation"}),
    ),
    PostcodeRule: Screen(
        _postcode_rule, lambda obj: obj.area.name, frozenset({"organisation", "area"})
    ),
    Contract: Screen(
        _contract, lambda obj: obj.area.name, frozenset({"organisation", "contractor", "area"})
    ),
    RepairCategory: Screen(
        lambda org: factories.RepairCategoryFactory(organisation=org),
        lambda obj: obj.name_nl,
        frozenset({"organisation"}),
    ),
    RepairRequest: Screen(_repair_request, lambda obj: obj.reference, None),
    WeeklySchedule: Screen(_weekly_schedule, lambda obj: obj.area.name, None),
    Slot: Screen(_slot, lambda obj: obj.area.name, None),
    SurveyInvitation: Screen(_invitation, lambda obj: obj.request.reference, None),
    # Answers of tenants who agreed to be contacted: only those are found by their request.
    SurveyResponse: Screen(
        lambda org: _invitation(org, grade=8, may_contact=True).response,
        lambda obj: obj.invitation.request.reference,
        None,
    ),
    MaterialReuse: Screen(_reuse, lambda obj: obj.description, None),
    FeeStatement: Screen(_fee_statement, lambda obj: obj.period_start.isoformat(), None),
    SroiContribution: Screen(
        _sroi, lambda obj: obj.description, frozenset({"organisation", "contract", "buurt"})
    ),
    Neighbourhood: Screen(_neighbourhood, lambda obj: obj.name, frozenset({"organisation"})),
    ContractScorecard: Screen(_scorecard, lambda obj: obj.area.name, None),
    ImportJob: Screen(
        _import_job, lambda obj: obj.file.name.rsplit("/", 1)[-1], frozenset({"organisation"})
    ),
    UnroutedRequest: Screen(_unrouted, lambda obj: obj.reference, None),
    OutboxMessage: Screen(
        lambda org: OutboxMessage.objects.create(
            key=f"mail-{org.slug}", handler="mail.deliver", organisation=org
        ),
        lambda obj: obj.key,
        None,
    ),
    FollowUp: Screen(
        lambda org: FollowUp.objects.get(
            pk=_invitation(org, grade=4, may_contact=True).response.pk
        ),
        lambda obj: obj.invitation.request.reference,
        None,
    ),
    # The association's ERP clients of the machine interface (the secret is shown once).
    ApiClient: Screen(
        lambda org: (
            api_client_create(
                name=f"ERP {org.slug}", scopes=["OHD.Onderhoudsorders.Read"], organisation=org
            ).api_client
        ),
        lambda obj: obj.name,
        frozenset({"organisation"}),
    ),
    # The association's webhook endpoints (the signing secret is shown once) and their log.
    WebhookEndpoint: Screen(
        lambda org: (
            webhook_endpoint_create(
                url=f"https://erp.{org.slug}.example/hooks",
                events=["order.created"],
                organisation=org,
            ).endpoint
        ),
        lambda obj: obj.url,
        frozenset({"organisation"}),
    ),
    WebhookDelivery: Screen(
        lambda org: _webhook_delivery(org),
        lambda obj: obj.key,
        None,
    ),
    # Planned maintenance and renovation projects, and their dwellings with the answers.
    Project: Screen(
        _project, lambda obj: obj.name, frozenset({"organisation", "contract", "category"})
    ),
    ProjectDwelling: Screen(_project_dwelling, lambda obj: obj.dwelling.reference, None),
    # A tenant's data on request (export, early erasure): the tenancies, found by contract.
    TenantData: Screen(
        lambda org: TenantData.objects.get(pk=_tenancy(org).pk),
        lambda obj: obj.contract_number,
        None,
    ),
}


def _webhook_delivery(organisation: Organisation) -> WebhookDelivery:
    endpoint = webhook_endpoint_create(
        url=f"https://erp.{organisation.slug}.example/log",
        events=["order.created"],
        organisation=organisation,
    ).endpoint
    messages = webhook_event_emit(
        event_type="order.created",
        organisation_id=organisation.pk,
        contractor_id=None,
        subject_id=endpoint.pk,
        data={"order_id": endpoint.pk},
    )
    return WebhookDelivery.objects.get(
        pk=next(m.pk for m in messages if m.payload["endpoint_id"] == endpoint.pk)
    )


MODELS = list(SCREENS)
PROJECT_APPS = {"portal", "outbox", "contractors", "webhooks", "repairs", "surveys", "privacy"}


def model_id(model: type[models.Model]) -> str:
    return model._meta.label


def url(model: type[models.Model], view: str, *args) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def organisation_of(obj: models.Model) -> int:
    """The organisation id a row belongs to, through the same lookup the admin scopes by."""
    path = _organisation_path(type(obj))
    value = obj
    for part in path.split("__"):
        value = getattr(value, part)
    return value if isinstance(value, int) else value.pk


@pytest.fixture
def rows(request, organisation, other_organisation):
    """One row of the model for association A and one for association B."""
    screen = SCREENS[request.param]
    return screen.make(organisation), screen.make(other_organisation)


@pytest.fixture
def staff_client(client, staff_user):
    client.force_login(staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def superuser_client(client, superuser):
    client.force_login(superuser)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def result_pks(response) -> set[int]:
    return {obj.pk for obj in response.context["cl"].result_list}


def test_every_scoped_admin_is_covered_here():
    # given the admin site as the project registers it

    # when
    scoped = {
        model
        for model, model_admin in admin.site._registry.items()
        if isinstance(model_admin, OrganisationScopedAdmin)
    }
    unscoped_own = {
        model._meta.label
        for model, model_admin in admin.site._registry.items()
        if not isinstance(model_admin, OrganisationScopedAdmin)
        and model._meta.app_label in PROJECT_APPS
    }

    # then a new screen must be added to SCREENS, or be one of the platform's own screens
    # (the KPI dashboard has no rows of its own to list; the contractor directory is shared)
    assert scoped == set(SCREENS) | {KpiDashboard}
    assert unscoped_own == {
        "portal.User",
        "contractors.Contractor",
        "contractors.ContractorMembership",
        "contractors.Daypart",
    }


@pytest.mark.django_db
@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=model_id)
def test_changelist_shows_own_rows_only(staff_client, rows):
    # given
    own, others = rows

    # when
    response = staff_client.get(url(type(own), "changelist"))

    # then
    assert response.status_code == 200
    pks = result_pks(response)
    assert own.pk in pks
    assert others.pk not in pks
    model = type(own)
    assert {organisation_of(obj) for obj in model.objects.filter(pk__in=pks)} == {
        organisation_of(own)
    }


@pytest.mark.django_db
@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=model_id)
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_other_associations_row_answers_404(staff_client, rows, view):
    # given
    own, others = rows

    # when
    own_response = staff_client.get(url(type(own), view, own.pk))
    others_response = staff_client.get(url(type(others), view, others.pk))

    # then the own row opens (or is refused for lack of permission), the other one is not found
    assert own_response.status_code in {200, 403}
    assert others_response.status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=model_id)
def test_posting_a_change_to_other_associations_row_answers_404_and_changes_nothing(
    staff_client, rows, organisation
):
    # given
    _own, others = rows
    model = type(others)
    before = model.objects.filter(pk=others.pk).values().get()
    forged = {
        key: value
        for key, value in before.items()
        if value is not None and not isinstance(value, dict)
    }
    forged |= {"organisation": organisation.pk, "name": "Overgenomen", "_save": "Save"}

    # when
    change = staff_client.post(url(model, "change", others.pk), forged)
    delete = staff_client.post(url(model, "delete", others.pk), {"post": "yes"})

    # then
    assert (change.status_code, delete.status_code) == (404, 404)
    assert model.objects.filter(pk=others.pk).values().get() == before


@pytest.mark.django_db
@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=model_id)
def test_search_finds_own_rows_but_not_other_associations(staff_client, rows):
    # given
    own, others = rows
    screen = SCREENS[type(own)]

    # when
    own_hit = staff_client.get(url(type(own), "changelist"), {"q": screen.search_term(own)})
    others_hit = staff_client.get(
        url(type(others), "changelist"), {"q": screen.search_term(others)}
    )

    # then
    assert own.pk in result_pks(own_hit)
    assert result_pks(others_hit) == set()


@pytest.mark.django_db
@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=model_id)
def test_superuser_sees_and_finds_both_associations(superuser_client, rows):
    # given
    own, others = rows
    screen = SCREENS[type(own)]

    # when
    listed = superuser_client.get(url(type(own), "changelist"))
    found = superuser_client.get(url(type(others), "changelist"), {"q": screen.search_term(others)})
    change_page = superuser_client.get(url(type(others), "change", others.pk))

    # then
    assert {own.pk, others.pk} <= result_pks(listed)
    assert others.pk in result_pks(found)
    assert change_page.status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=model_id)
def test_list_filters_offer_no_row_of_another_association(staff_client, rows, other_organisation):
    # given
    own, _others = rows
    other_rows = _rows_of(other_organisation)

    # when
    response = staff_client.get(url(type(own), "changelist"))

    # then
    offered = [
        (spec.title, str(choice["display"]))
        for spec in response.context["cl"].filter_specs
        for choice in spec.choices(response.context["cl"])
    ]
    leaked = [entry for entry in offered if entry[1] in other_rows]
    assert leaked == []


def _rows_of(organisation: Organisation) -> set[str]:
    """How every row of the association reads in a choice list, to look for leaks."""
    names = {str(organisation), f"Stad {organisation.slug}"}
    for model in SCREENS:
        if model is Organisation:
            continue
        path = _organisation_path(model)
        names |= {str(obj) for obj in model.objects.filter(**{path: organisation.pk})}
    return names


@pytest.mark.django_db
def test_list_filter_of_a_free_text_column_lists_own_values_only(
    staff_client, organisation, other_organisation
):
    # given
    factories.DwellingFactory(organisation=organisation, city="Eindhoven")
    factories.DwellingFactory(organisation=other_organisation, city="Helmond")

    # when
    response = staff_client.get(url(Dwelling, "changelist"))

    # then
    cities = next(spec for spec in response.context["cl"].filter_specs if spec.field_path == "city")
    assert [choice["display"] for choice in cities.choices(response.context["cl"])] == [
        "All",
        "Eindhoven",
    ]


@pytest.mark.django_db
@pytest.mark.parametrize("rows", MODELS, indirect=True, ids=model_id)
def test_add_form_offers_only_own_rows_to_pick(staff_client, rows, organisation):
    # given
    own, _others = rows
    model = type(own)
    screen = SCREENS[model]

    # when
    response = staff_client.get(url(model, "add"))

    # then
    if screen.add_form_choices is None:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    form = response.context["adminform"].form
    choice_fields = {
        name: field.queryset
        for name, field in form.fields.items()
        if isinstance(field, ModelChoiceField)
    }
    assert set(choice_fields) == screen.add_form_choices
    for name, queryset in choice_fields.items():
        related = queryset.model
        path = _organisation_path(related)
        if _shared(related):
            # Contractors are a directory shared by all associations.
            assert related is Contractor, name
            continue
        assert queryset.exists(), name
        assert not queryset.exclude(**{path: organisation.pk}).exists(), name
    if "organisation" in choice_fields:
        assert list(choice_fields["organisation"]) == [organisation]
        assert form.fields["organisation"].initial == organisation.pk


AUTOCOMPLETES = [
    # (source app, source model, field) -> the remote model's admin answers
    ("contractors", "contract", "area"),
    ("contractors", "postcoderule", "area"),
    ("portal", "tenancy", "dwelling"),
    ("repairs", "repairrequest", "dwelling"),
    ("repairs", "repairrequest", "tenancy"),
    ("repairs", "repairrequest", "category"),
    ("portal", "dwelling", "organisation"),
]


def _autocomplete(client, app_label: str, model_name: str, field_name: str, term: str = ""):
    return client.get(
        "/admin/autocomplete/",
        {"app_label": app_label, "model_name": model_name, "field_name": field_name, "term": term},
    )


@pytest.mark.django_db
@pytest.mark.parametrize(("app_label", "model_name", "field_name"), AUTOCOMPLETES)
def test_autocomplete_answers_only_own_rows(
    staff_client, organisation, other_organisation, app_label, model_name, field_name
):
    # given a request with everything around it, in both associations
    own = _repair_request(organisation)
    own_tenancy = factories.TenancyFactory(dwelling=own.dwelling)
    others = _repair_request(other_organisation)
    others_tenancy = factories.TenancyFactory(dwelling=others.dwelling)
    own_area = factories.AreaFactory(organisation=organisation)
    others_area = factories.AreaFactory(organisation=other_organisation)
    expected_own, unexpected = {
        "area": (own_area, others_area),
        "dwelling": (own.dwelling, others.dwelling),
        "tenancy": (own_tenancy, others_tenancy),
        "category": (own.category, others.category),
        "organisation": (organisation, other_organisation),
    }[field_name]

    # when
    everything = _autocomplete(staff_client, app_label, model_name, field_name)
    aimed_at_other = _autocomplete(
        staff_client, app_label, model_name, field_name, term=_term(unexpected)
    )

    # then
    assert everything.status_code == 200
    ids = {int(result["id"]) for result in json.loads(everything.content)["results"]}
    assert ids == {expected_own.pk}
    assert json.loads(aimed_at_other.content)["results"] == []


def _term(obj: models.Model) -> str:
    if isinstance(obj, Dwelling):
        return obj.reference
    if isinstance(obj, Tenancy):
        return obj.contract_number
    if isinstance(obj, RepairCategory):
        return obj.name_nl
    return obj.name


@pytest.mark.django_db
def test_autocomplete_of_users_is_refused_to_staff(staff_client):
    # given staff, who may not see the accounts of other associations

    # when
    response = _autocomplete(staff_client, "portal", "staffmembership", "user", "sanne")

    # then
    assert response.status_code == 403


@pytest.mark.django_db
def test_dwelling_search_with_a_space_in_the_postcode_keeps_scope_and_filters(
    staff_client, organisation, other_organisation
):
    # given
    vacant = factories.DwellingFactory(organisation=organisation, postcode="5611AB", is_vacant=True)
    factories.DwellingFactory(organisation=organisation, postcode="5611AB", is_vacant=False)
    factories.DwellingFactory(organisation=other_organisation, postcode="5611AB", is_vacant=True)

    # when
    response = staff_client.get(
        url(Dwelling, "changelist"), {"q": "5611 ab", "is_vacant__exact": 1}
    )

    # then
    assert result_pks(response) == {vacant.pk}


@pytest.mark.django_db
def test_route_again_ignores_another_associations_request(staff_client, other_organisation):
    # given an unrouted request of association B whose area now has a contract
    others = _repair_request(other_organisation)
    others.status = Status.UNROUTED
    others.save(update_fields=["status"])
    area = factories.AreaFactory(organisation=other_organisation)
    factories.PostcodeRuleFactory(area=area, range_start=5611, range_end=5611)
    factories.ContractFactory(area=area)

    # when staff of A forge the action with B's request
    response = staff_client.post(
        url(RepairRequest, "changelist"),
        {"action": "route_again", "_selected_action": [others.pk], "index": 0},
    )

    # then
    assert response.status_code == 302
    others.refresh_from_db()
    assert (others.status, others.contract_id) == (Status.UNROUTED, None)
    assert others.events.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "model",
    [User, ContractorMembership, Daypart],
    ids=model_id,
)
def test_staff_cannot_open_platform_screens(staff_client, staff_user, model):
    # given a row of the platform screen
    if model is User:
        row = staff_user
    elif model is ContractorMembership:
        row = factories.ContractorMembershipFactory()
    else:
        row = daypart_defaults_ensure(contractor=factories.ContractorFactory())[0]

    # when
    responses = [
        staff_client.get(url(model, "changelist")).status_code,
        staff_client.get(url(model, "add")).status_code,
        staff_client.get(url(model, "change", row.pk)).status_code,
        staff_client.get(url(model, "delete", row.pk)).status_code,
    ]

    # then
    assert responses == [403, 403, 403, 403]


@pytest.mark.django_db
def test_staff_do_not_see_platform_screens_on_the_index(staff_client):
    # given

    # when
    response = staff_client.get(reverse("admin:index"))

    # then
    listed = {
        model["object_name"] for app in response.context["app_list"] for model in app["models"]
    }
    assert listed == {
        "Organisation",
        "StaffMembership",
        "Dwelling",
        "Tenancy",
        "Contractor",
        "Area",
        "PostcodeRule",
        "Contract",
        "RepairCategory",
        "RepairRequest",
        "WeeklySchedule",
        "Slot",
        "SurveyInvitation",
        "SurveyResponse",
        "FollowUp",
        "KpiDashboard",
        "ContractScorecard",
        "Neighbourhood",
        "MaterialReuse",
        "FeeStatement",
        "SroiContribution",
        "ImportJob",
        "OutboxMessage",
        "UnroutedRequest",
        "ApiClient",
        "WebhookEndpoint",
        "WebhookDelivery",
        # the common areas of complexes (stairwell, lift, gallery, roof)
        "CollectiveObject",
        # the tenant's data on request (privacy.admin): export and early erasure
        "TenantData",
        # planned maintenance and renovation projects (projects.admin)
        "Project",
        "ProjectDwelling",
    }


@pytest.mark.django_db
def test_staff_may_look_up_a_contractor_but_not_change_it(staff_client):
    # given a contractor of the shared directory
    contractor = factories.ContractorFactory(name="Bouwbedrijf Van Dam")
    before = Contractor.objects.filter(pk=contractor.pk).values().get()

    # when
    listed = staff_client.get(url(Contractor, "changelist"))
    page = staff_client.get(url(Contractor, "change", contractor.pk))
    change = staff_client.post(
        url(Contractor, "change", contractor.pk),
        {
            "name": "Overgenomen BV",
            "kvk_number": contractor.kvk_number,
            "email": contractor.email,
            "phone": contractor.phone,
        },
    )
    add = staff_client.get(url(Contractor, "add"))
    delete = staff_client.post(url(Contractor, "delete", contractor.pk), {"post": "yes"})

    # then
    assert result_pks(listed) == {contractor.pk}
    assert page.status_code == 200
    assert page.context["has_change_permission"] is False
    assert (change.status_code, add.status_code, delete.status_code) == (403, 403, 403)
    assert Contractor.objects.filter(pk=contractor.pk).values().get() == before


@pytest.mark.django_db
def test_superuser_may_change_a_contractor(superuser_client):
    # given
    contractor = factories.ContractorFactory(name="Bouwbedrijf Van Dam")

    # when
    response = superuser_client.post(
        url(Contractor, "change", contractor.pk),
        {
            "name": "Van Dam Bouw BV",
            "kvk_number": contractor.kvk_number,
            "contact_name": "",
            "email": contractor.email,
            "phone": contractor.phone,
            "_save": "Save",
        },
    )

    # then
    assert response.status_code == 302
    contractor.refresh_from_db()
    assert contractor.name == "Van Dam Bouw BV"


@pytest.mark.django_db
def test_staff_add_a_dwelling_only_to_their_own_association(
    staff_client, organisation, other_organisation
):
    # given a form forged to put the dwelling in association B
    data = {
        "organisation": other_organisation.pk,
        "reference": "VHE123456",
        "dwelling_type": "TUS",
        "street": "Kerkstraat",
        "house_number": "12",
        "house_number_suffix": "",
        "postcode": "5611AB",
        "city": "Eindhoven",
        "in_portfolio_from": "2024-01-01",
        "tenancies-TOTAL_FORMS": "0",
        "tenancies-INITIAL_FORMS": "0",
        "_save": "Save",
    }

    # when
    response = staff_client.post(url(Dwelling, "add"), data)

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["organisation"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert Dwelling.objects.count() == 0


@pytest.mark.django_db
def test_staff_pick_no_other_associations_dwelling_for_a_tenancy(
    staff_client, organisation, other_organisation
):
    # given
    others = factories.DwellingFactory(organisation=other_organisation)
    data = {
        "organisation": organisation.pk,
        "dwelling": others.pk,
        "contract_number": "HC0000001",
        "start_date": datetime.date(2024, 1, 1).isoformat(),
        "_save": "Save",
    }

    # when
    response = staff_client.post(url(Tenancy, "add"), data)

    # then
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["dwelling"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert Tenancy.objects.count() == 0


# Every registered screen, as staff of association B while only association A has rows.

REGISTERED = sorted(admin.site._registry, key=lambda model: model._meta.label)


@pytest.fixture
def world_of_a(organisation):
    """A row of every scoped screen in association A, and a contractor that works only for A."""
    rows = {model: screen.make(organisation) for model, screen in SCREENS.items()}
    contractor = factories.ContractorFactory(name="Alleen Kempen Installatietechniek")
    factories.ContractFactory(
        contractor=contractor, area=factories.AreaFactory(organisation=organisation)
    )
    return rows


@pytest.fixture
def b_client(client, other_staff_user):
    client.force_login(other_staff_user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def _names_of(organisation: Organisation, rows: dict) -> set[str]:
    """What would betray association A on a page: its name, its rows' names and references,
    and the contractors that work for it."""
    names = {organisation.name, f"Stad {organisation.slug}"}
    for model, row in rows.items():
        # (a statement's period start is a date any page may show)
        if model not in {Organisation, FeeStatement}:
            names.add(SCREENS[model].search_term(row))
    names |= set(
        Contractor.objects.filter(contracts__organisation=organisation).values_list(
            "name", flat=True
        )
    )
    names |= set(Area.objects.filter(organisation=organisation).values_list("name", flat=True))
    return {name for name in names if name}


def _leaked(text: str, names: set[str]) -> list[str]:
    return sorted(
        name for name in names if re.search(rf"(?<![\w-]){re.escape(name)}(?![\w-])", text)
    )


def _shared(model: type[models.Model]) -> bool:
    """Reference data shared by every association (the contractor directory)."""
    return getattr(admin.site._registry.get(model), "global_reference", False)


def _rows_of_a(model: type[models.Model], organisation: Organisation) -> set[int]:
    path = _organisation_path(model)
    if path is None or _shared(model):
        return set()
    return set(
        model._default_manager.filter(**{path: organisation.pk}).values_list("pk", flat=True)
    )


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=model_id)
def test_no_screen_shows_staff_of_another_association_a_row_or_a_name(
    b_client, organisation, world_of_a, model
):
    # given association A with a row on every screen, and staff of B, which has none
    names = _names_of(organisation, world_of_a)
    shared = _shared(model)

    # when
    response = b_client.get(url(model, "changelist"))

    # then the screen is refused, or lists nothing of A and names nothing of A
    assert response.status_code in {200, 403}
    if response.status_code == 403:
        return
    changelist = response.context.get("cl")
    if changelist is not None:
        if not shared:
            assert {obj.pk for obj in changelist.result_list} & _rows_of_a(model, organisation) == (
                set()
            )
        offered = {
            spec.title: [str(choice["display"]) for choice in spec.choices(changelist)]
            for spec in changelist.filter_specs
        }
        leaked_choices = {
            title: leaked
            for title, choices in offered.items()
            if (leaked := _leaked("\n".join(choices), names))
        }
        assert leaked_choices == {}
    if not shared:
        assert _leaked(response.content.decode(), names) == []


@pytest.mark.django_db
@pytest.mark.parametrize("model", REGISTERED, ids=model_id)
def test_no_change_page_of_another_association_opens(b_client, organisation, world_of_a, model):
    # given a row of association A shown on this screen (an answer, for the KPI dashboard)
    source = SurveyResponse if model is KpiDashboard else model
    rows = sorted(_rows_of_a(source, organisation))
    if not rows:
        pytest.skip("no row of one association on this screen (platform or shared screen)")

    # when
    answers = {
        view: b_client.get(url(model, view, rows[0])).status_code
        for view in ("change", "history", "delete")
    }

    # then each is not found, as a missing row is (a platform screen refuses staff outright)
    platform = b_client.get(url(model, "changelist")).status_code == 403
    assert answers == dict.fromkeys(answers, 403 if platform else 404)


AUTOCOMPLETE_SOURCES = sorted(
    (
        (model, field_name)
        for model, model_admin in admin.site._registry.items()
        for field_name in model_admin.autocomplete_fields
    ),
    key=lambda item: (item[0]._meta.label, item[1]),
)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("model", "field_name"),
    AUTOCOMPLETE_SOURCES,
    ids=[f"{model._meta.label}.{field}" for model, field in AUTOCOMPLETE_SOURCES],
)
def test_no_autocomplete_answers_a_row_of_another_association(
    b_client, organisation, world_of_a, model, field_name
):
    # given association A with rows to pick, and staff of B
    remote = model._meta.get_field(field_name).remote_field.model
    names = _names_of(organisation, world_of_a)

    # when staff of B ask for every choice, and for A's rows by name
    everything = _autocomplete(b_client, model._meta.app_label, model._meta.model_name, field_name)
    aimed = [
        _autocomplete(b_client, model._meta.app_label, model._meta.model_name, field_name, name)
        for name in sorted(names)
    ]

    # then they are refused, or offered nothing of A (the shared contractor directory aside)
    assert everything.status_code in {200, 403}
    if everything.status_code == 403 or _shared(remote):
        return
    found = {
        int(result["id"])
        for answer in [everything, *aimed]
        for result in json.loads(answer.content)["results"]
    }
    assert found & _rows_of_a(remote, organisation) == set()
