"""Scoping fails closed: a screen that does not say how it is scoped is refused when it is
registered (and by `manage.py check`), a model that declares nothing shows staff no rows, and
"every association" is the explicit ALL_ASSOCIATIONS, never a None (DESIGN.md, Multi-tenancy).
"""

import datetime

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from contractors.models import Contract, Contractor, Daypart
from contractors.services import daypart_defaults_ensure
from contractors.sroi import ledger
from portal.scoping import (
    ALL_ASSOCIATIONS,
    GlobalReferenceAdmin,
    OrganisationScopedAdmin,
    ScopedTabularInline,
    _project_app,
    admin_scoping_errors,
    check_admin_scoping,
    filter_by_scope,
    organisation_scope,
    scope_queryset,
)
from surveys import rollup
from surveys.kpis import kpi_rollup_rows, kpi_rows

from . import factories

JAN = datetime.date(2026, 1, 1)


def _request(user):
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def test_the_project_admin_passes_the_scoping_check():
    # given the admin site as the project registers it

    # when
    errors = check_admin_scoping()

    # then no screen is unscoped, and the project's apps are the ones looked at
    assert errors == []
    assert _project_app(Contract) and _project_app(Daypart)
    assert not _project_app(Group)


def test_the_scoped_admin_base_refuses_a_model_that_does_not_say_how_it_is_scoped():
    # given a model without an organisation field (a contractor's dayparts)
    site = admin.AdminSite()

    # when / then registering it under the scoped base is refused
    with pytest.raises(ImproperlyConfigured, match=r"contractors\.Daypart has no organisation"):
        site.register(Daypart, OrganisationScopedAdmin)
    assert not site.is_registered(Daypart)


def test_a_model_with_a_declared_organisation_path_is_registered_and_scoped(
    db, organisation, other_organisation, staff_user
):
    # given dayparts of a contractor working for A and of one working for B
    own = factories.ContractFactory(area=factories.AreaFactory(organisation=organisation))
    others = factories.ContractFactory(area=factories.AreaFactory(organisation=other_organisation))
    daypart_defaults_ensure(contractor=own.contractor)
    daypart_defaults_ensure(contractor=others.contractor)

    class DaypartByContractAdmin(OrganisationScopedAdmin):
        organisation_path = "contractor__contracts__organisation"

    site = admin.AdminSite()
    site.register(Daypart, DaypartByContractAdmin)

    # when
    listed = site._registry[Daypart].get_queryset(_request(staff_user))

    # then
    assert {daypart.contractor_id for daypart in listed} == {own.contractor_id}
    assert admin_scoping_errors(site) == []


def test_the_check_flags_a_screen_staff_can_open_that_is_not_scoped():
    # given a plain ModelAdmin, which any staff user with the permission may open
    site = admin.AdminSite()
    site.register(Contract, admin.ModelAdmin)

    # when
    errors = admin_scoping_errors(site)

    # then
    assert [error.id for error in errors] == ["portal.E001"]
    assert "contractors.Contract" in errors[0].msg


def test_the_check_flags_an_inline_that_is_not_scoped():
    # given a scoped screen whose inline is a plain one
    class PlainInline(admin.TabularInline):
        model = Contract

    class AreaAdmin(OrganisationScopedAdmin):
        inlines = [PlainInline]

    site = admin.AdminSite()
    site.register(factories.AreaFactory._meta.model, AreaAdmin)

    # when
    errors = admin_scoping_errors(site)

    # then
    assert [error.id for error in errors] == ["portal.E001"]
    assert "PlainInline" in errors[0].msg


def test_the_check_flags_an_inline_of_a_model_without_a_scope():
    # given a scoped inline of dayparts, which have no organisation
    class DaypartInline(ScopedTabularInline):
        model = Daypart
        fk_name = "contractor"

    class ContractorAdmin(GlobalReferenceAdmin):
        inlines = [DaypartInline]

    site = admin.AdminSite()
    site.register(Contractor, ContractorAdmin)

    # when
    errors = admin_scoping_errors(site)

    # then
    assert [error.id for error in errors] == ["portal.E004"]


def test_the_check_flags_shared_reference_data_that_staff_may_change():
    # given reference data declared shared, but with the change permission left to staff
    class EditableDirectory(GlobalReferenceAdmin):
        def has_change_permission(self, request, obj=None):
            return True

    site = admin.AdminSite()
    site.register(Contractor, EditableDirectory)

    # when
    errors = admin_scoping_errors(site)

    # then
    assert [error.id for error in errors] == ["portal.E002"]


def test_a_superuser_only_screen_needs_no_scope():
    # given a platform screen: staff cannot open it
    class PlatformOnly(admin.ModelAdmin):
        def has_module_permission(self, request):
            return request.user.is_superuser

        def has_view_permission(self, request, obj=None):
            return request.user.is_superuser

        has_change_permission = has_view_permission

    site = admin.AdminSite()
    site.register(Daypart, PlatformOnly)

    # when / then
    assert admin_scoping_errors(site) == []


@pytest.mark.django_db
def test_a_model_that_declares_no_scope_shows_staff_nothing_and_a_superuser_all(
    staff_user, superuser
):
    # given dayparts: no organisation field, no declared path, not shared reference data
    daypart_defaults_ensure(contractor=factories.ContractorFactory())

    # when
    for_staff = scope_queryset(Daypart.objects.all(), _request(staff_user))
    for_superuser = scope_queryset(Daypart.objects.all(), _request(superuser))

    # then
    assert list(for_staff) == []
    assert for_superuser.count() == Daypart.objects.count() > 0


@pytest.mark.django_db
def test_shared_reference_data_is_listed_to_staff_whole(staff_user):
    # given the contractor directory, with a contractor that works for nobody yet
    contractor = factories.ContractorFactory()

    # when
    listed = scope_queryset(Contractor.objects.all(), _request(staff_user))

    # then
    assert list(listed) == [contractor]


@pytest.mark.django_db
def test_the_scope_of_a_user(staff_user, superuser, organisation):
    # given a tenant: no staff membership
    tenant = factories.UserFactory()

    # when / then
    assert organisation_scope(superuser) is ALL_ASSOCIATIONS
    assert list(organisation_scope(staff_user)) == [organisation.pk]
    assert list(organisation_scope(tenant)) == []


@pytest.mark.django_db
def test_no_scope_is_refused_not_read_as_every_association(organisation, other_organisation):
    # given contracts of two associations
    factories.ContractFactory(area=factories.AreaFactory(organisation=organisation))
    factories.ContractFactory(area=factories.AreaFactory(organisation=other_organisation))

    # when / then a None is refused everywhere "all associations" used to hide
    with pytest.raises(TypeError):
        filter_by_scope(Contract.objects.all(), None)
    with pytest.raises(TypeError):
        ledger(organisation_ids=None, year=2026)
    with pytest.raises(TypeError):
        kpi_rows(organisation_ids=None, start=JAN, end=JAN)
    with pytest.raises(TypeError):
        kpi_rollup_rows(organisation_ids=None, start=JAN, end=JAN)
    with pytest.raises(TypeError):
        rollup.kpi_month_refresh(month=JAN)
    with pytest.raises(TypeError):
        rollup.kpi_month_refresh(month=JAN, organisation_ids=None)


@pytest.mark.django_db
def test_every_association_is_said_out_loud(organisation, other_organisation):
    # given contracts of two associations
    own = factories.ContractFactory(area=factories.AreaFactory(organisation=organisation))
    others = factories.ContractFactory(area=factories.AreaFactory(organisation=other_organisation))

    # when
    everyone = filter_by_scope(Contract.objects.all(), ALL_ASSOCIATIONS)
    own_only = filter_by_scope(Contract.objects.all(), [organisation.pk])
    nobody = filter_by_scope(Contract.objects.all(), [])

    # then
    assert set(everyone) == {own, others}
    assert list(own_only) == [own]
    assert list(nobody) == []


@pytest.mark.django_db
def test_a_filter_on_a_related_rows_value_lists_only_values_in_scope(
    staff_user, organisation, other_organisation
):
    # given contracts of both associations, filtered by their area's name
    factories.ContractFactory(area=factories.AreaFactory(organisation=organisation, name="Noord"))
    factories.ContractFactory(
        area=factories.AreaFactory(organisation=other_organisation, name="Zuid")
    )

    class ContractByAreaName(OrganisationScopedAdmin):
        list_filter = ["area__name"]

    site = admin.AdminSite()
    site.register(Contract, ContractByAreaName)
    request = _request(staff_user)

    # when
    changelist = site._registry[Contract].get_changelist_instance(request)

    # then
    (spec,) = changelist.filter_specs
    # (after the choice of all rows)
    assert [choice["display"] for choice in spec.choices(changelist)][1:] == ["Noord"]


@pytest.mark.django_db
def test_the_kpi_dashboard_offers_only_contractors_the_association_works_with(
    client, staff_user, organisation, other_organisation
):
    # given a contractor of A, one only of B, and one working for nobody
    own = factories.ContractFactory(area=factories.AreaFactory(organisation=organisation))
    others = factories.ContractFactory(area=factories.AreaFactory(organisation=other_organisation))
    factories.ContractorFactory()
    client.force_login(staff_user)

    # when
    response = client.get("/admin/surveys/kpidashboard/")

    # then
    assert list(response.context["contractors"]) == [own.contractor]
    assert others.contractor.name not in response.content.decode()


@pytest.mark.django_db
def test_a_filter_given_with_djangos_own_class_is_scoped_too(
    staff_user, organisation, other_organisation
):
    # given contracts of both associations, filtered by contractor with Django's own filter
    own = [
        factories.ContractFactory(
            contractor=factories.ContractorFactory(name=name),
            area=factories.AreaFactory(organisation=organisation),
        )
        for name in ("Aalbers Onderhoud", "Bouwbedrijf Kempen")
    ]
    factories.ContractFactory(area=factories.AreaFactory(organisation=other_organisation))
    factories.ContractorFactory()

    class ContractByContractor(OrganisationScopedAdmin):
        list_filter = [("contractor", admin.RelatedFieldListFilter)]

    site = admin.AdminSite()
    site.register(Contract, ContractByContractor)

    # when
    changelist = site._registry[Contract].get_changelist_instance(_request(staff_user))

    # then only the contractors the association works with are offered
    (spec,) = changelist.filter_specs
    assert [choice["display"] for choice in spec.choices(changelist)][1:] == [
        contract.contractor.name for contract in own
    ]
