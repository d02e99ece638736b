"""The one admin base class that scopes every screen to the staff user's associations.

A staff user of association A sees and can pick only A's rows: change lists, change forms,
foreign-key choices, autocomplete, search and filters. A superuser sees all. An object
outside the user's scope answers 404, as a missing one does.

Scoping fails closed. A model reaches its association through a field named `organisation`
or through a declared `organisation_path` (a lookup such as "request__organisation", on the
model or on its ModelAdmin). A model that reaches none is either declared reference data
shared by every association (GlobalReferenceAdmin: staff look it up, only superusers change
it) or a platform screen that staff cannot open; anything else answers no rows to staff, and
the admin base refuses to register it (ImproperlyConfigured, and the system check
portal.E001-E004 at `manage.py check`).

"All associations" is never a None: code that reads every association passes the explicit
ALL_ASSOCIATIONS (organisation_scope() gives it to superusers only), and a None where ids
are expected is refused.
"""

from collections.abc import Collection
from pathlib import Path
from types import SimpleNamespace

from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, reverse_field_path
from django.core import checks
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext as _

from .models import Organisation
from .selectors import staff_organisation_ids


class AllAssociations:
    """The explicit scope of every association: superuser screens and platform tasks."""

    _instance = None

    def __new__(cls):
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ALL_ASSOCIATIONS"


ALL_ASSOCIATIONS = AllAssociations()
OrganisationScope = Collection[int] | AllAssociations


def organisation_scope(user) -> OrganisationScope:
    """The associations a user's screens read: their own ids, or ALL_ASSOCIATIONS for a
    superuser. Someone without a membership gets an empty list, never everything."""
    ids = staff_organisation_ids(user)
    return ALL_ASSOCIATIONS if ids is None else ids


def filter_by_scope(
    queryset: models.QuerySet, scope: OrganisationScope, field: str = "organisation_id"
) -> models.QuerySet:
    """Rows of the associations in scope. None is refused: "all" must be said out loud."""
    if scope is ALL_ASSOCIATIONS:
        return queryset
    if scope is None or isinstance(scope, str | int) or not isinstance(scope, Collection):
        raise TypeError(
            f"organisation scope must be ids or ALL_ASSOCIATIONS, not {scope!r}; "
            "a missing scope never means every association"
        )
    return queryset.filter(**{f"{field}__in": list(scope)})


class GlobalReference:
    """The declared scope of reference data shared by every association."""

    def __repr__(self) -> str:
        return "GLOBAL_REFERENCE"


GLOBAL_REFERENCE = GlobalReference()


def _registered_admin(model: type[models.Model]):
    return admin.site._registry.get(model)


def organisation_path(model: type[models.Model]) -> str | GlobalReference | None:
    """The lookup from a model to its organisation; GLOBAL_REFERENCE for declared shared
    reference data; None if the model declares nothing (and so is out of every staff scope)."""
    if model is Organisation:
        return "pk"
    try:
        model._meta.get_field("organisation")
    except FieldDoesNotExist:
        pass
    else:
        return "organisation"
    declared = getattr(model, "organisation_path", None)
    if declared:
        return declared
    model_admin = _registered_admin(model)
    if model_admin is not None:
        if getattr(model_admin, "global_reference", False):
            return GLOBAL_REFERENCE
        return getattr(model_admin, "organisation_path", None) or None
    return None


# The name the tests used before; kept so a lookup reads the same everywhere.
_organisation_path = organisation_path


def scope_queryset(queryset: models.QuerySet, request, path: str | None = None) -> models.QuerySet:
    """Restrict a queryset of any model to what the request's user may see (`path`: the
    lookup an admin declares for its model, if the model has no organisation field)."""
    organisation_ids = staff_organisation_ids(request.user)
    if organisation_ids is None:
        return queryset
    path = path or organisation_path(queryset.model)
    if path is GLOBAL_REFERENCE:
        return queryset
    if path is None:
        # Fails closed: a model that does not say how it is scoped shows staff nothing.
        return queryset.none()
    return queryset.filter(**{f"{path}__in": organisation_ids})


def reach_queryset(queryset: models.QuerySet, request) -> models.QuerySet:
    """Like scope_queryset, but shared reference data is narrowed to the rows the user's
    associations use (the contractors they hold a contract with): what a list filter offers."""
    organisation_ids = staff_organisation_ids(request.user)
    if organisation_ids is None:
        return queryset
    if organisation_path(queryset.model) is GLOBAL_REFERENCE:
        reach = getattr(_registered_admin(queryset.model), "organisation_reach", None)
        if not reach:
            return queryset.none()
        used = queryset.model._default_manager.filter(**{f"{reach}__in": organisation_ids})
        return queryset.filter(pk__in=used.values("pk"))
    return scope_queryset(queryset, request)


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter that lists only rows the user's scope reaches."""

    def field_choices(self, field, request, model_admin):
        ordering = self.field_admin_ordering(field, request, model_admin)
        related = field.remote_field.model
        # A row's name may show its parents (a contract names its contractor and area).
        parents = [
            parent.name
            for parent in related._meta.concrete_fields
            if parent.many_to_one and not parent.null
        ]
        queryset = related._default_manager.all()
        if parents:
            queryset = queryset.select_related(*parents)
        queryset = reach_queryset(queryset, request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class ScopedAllValuesFieldListFilter(admin.AllValuesFieldListFilter):
    """A filter on a value of a related row (`area__name`): Django reads those values from
    every row of the related model; here only from the rows in scope."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        parent_model, _reverse_path = reverse_field_path(model, field_path)
        if parent_model is not model:
            self.lookup_choices = (
                reach_queryset(parent_model._default_manager.all(), request)
                .distinct()
                .order_by(field.name)
                .values_list(field.name, flat=True)
            )


def _require_scope(model: type[models.Model], declared: str | None) -> None:
    if model is Organisation or declared:
        return
    try:
        model._meta.get_field("organisation")
    except FieldDoesNotExist:
        if not getattr(model, "organisation_path", None):
            raise ImproperlyConfigured(
                f"{model._meta.label} has no organisation field: give it (or its admin) an "
                "organisation_path, or register it with GlobalReferenceAdmin if it is "
                "reference data shared by every association."
            ) from None


class ScopedMixin:
    """Scoping for ModelAdmin and inlines alike."""

    # The lookup to the organisation, for a model without an `organisation` field.
    organisation_path: str | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        _require_scope(self.model, self.organisation_path)

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request, self.organisation_path)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = scope_queryset(formfield.queryset, request)
            if db_field.remote_field.model is Organisation and not request.user.is_superuser:
                ids = staff_organisation_ids(request.user)
                if ids and len(ids) == 1:
                    formfield.initial = ids[0]
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = scope_queryset(formfield.queryset, request)
        return formfield


class CappedCountPaginator(Paginator):
    """Counts at most COUNT_CAP rows (a LIMIT inside the COUNT), so a change list over
    millions of dwellings never counts them all; past the cap it offers that many pages."""

    COUNT_CAP = 10_000

    @cached_property
    def count(self) -> int:
        return self.object_list[: self.COUNT_CAP].count()


def _scoped_list_filter(model: type[models.Model], entry):
    """The scoped filter class for a list_filter entry given as a field name or path, or
    with one of Django's filters that read every row of the related model."""
    if isinstance(entry, tuple | list) and len(entry) == 2 and isinstance(entry[0], str):
        path, filter_class = entry
        if filter_class in (admin.RelatedFieldListFilter, admin.AllValuesFieldListFilter):
            scoped = _scoped_list_filter(model, path)
            return scoped if isinstance(scoped, tuple) else (path, filter_class)
        return entry
    if not isinstance(entry, str):
        return entry
    try:
        fields = get_fields_from_path(model, entry)
    except (FieldDoesNotExist, NotRelationField):
        return entry
    field = fields[-1]
    if field.is_relation:
        return (entry, ScopedRelatedFieldListFilter)
    if "__" in entry:
        if getattr(field, "choices", None) or isinstance(
            field, models.BooleanField | models.DateField
        ):
            return entry
        return (entry, ScopedAllValuesFieldListFilter)
    return entry


class OrganisationScopedAdmin(ScopedMixin, admin.ModelAdmin):
    """Base class of every staff screen in the admin. See the module docstring."""

    show_full_result_count = False
    paginator = CappedCountPaginator
    # Half of Django's 100: a change list's time is its rendering, per row.
    list_per_page = 50

    def action_checkbox(self, obj):
        """The row's checkbox as Django's widget renders it, written directly: through the
        widget's template it was a fifth of a change list's rendering."""
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(_("Select this object for an action - {}"), str(obj)),
        )

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def get_list_filter(self, request):
        return [
            _scoped_list_filter(self.model, entry) for entry in super().get_list_filter(request)
        ]


class GlobalReferenceAdmin(admin.ModelAdmin):
    """Reference data shared by every association (the contractor directory): any staff
    user may look a row up and pick it; only superusers add, change or delete.

    `organisation_reach` is the lookup from a row to the associations that use it; list
    filters of scoped screens offer only those rows (reach_queryset)."""

    global_reference = True
    organisation_reach: str = ""

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


class ScopedTabularInline(ScopedMixin, admin.TabularInline):
    """Inline rows take their association from the parent row."""

    exclude = ("organisation",)


class ReadOnlyTabularInline(ScopedTabularInline):
    """History shown under a row (events, visits, photos, statement lines): never edited."""

    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


# ---------------------------------------------------------------------------------------
# The system check: every admin screen a staff user can open says how it is scoped.


class _AnyStaffUser(SimpleNamespace):
    """A staff user of no association who holds every model permission: what a screen
    offers them is what it offers any staff user, whatever their group."""

    def has_perm(self, perm, obj=None) -> bool:
        return True

    def has_perms(self, perms, obj=None) -> bool:
        return True

    def has_module_perms(self, app_label) -> bool:
        return True


def _staff_request():
    request = HttpRequest()
    request.method = "GET"
    request.path = "/admin/"
    request.user = _AnyStaffUser(
        pk=None,
        id=None,
        is_active=True,
        is_staff=True,
        is_superuser=False,
        is_authenticated=True,
        is_anonymous=False,
        _staff_organisation_ids=[],
    )
    return request


def _project_app(model: type[models.Model]) -> bool:
    """An app of this project (a folder at the top of the repository), not an installed
    package (whose virtualenv may live inside the repository too)."""
    app_path = Path(apps.get_app_config(model._meta.app_label).path).resolve()
    installed = {"site-packages", "dist-packages"} & set(app_path.parts)
    return not installed and app_path.parent == Path(settings.BASE_DIR).resolve()


def _staff_can_open(model_admin, request) -> bool:
    return bool(
        model_admin.has_module_permission(request)
        or model_admin.has_view_permission(request)
        or model_admin.has_change_permission(request)
    )


def _scope_errors(label: str, model_admin, request) -> list[checks.CheckMessage]:
    model = model_admin.model
    if getattr(model_admin, "global_reference", False):
        if (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
        ):
            return [
                checks.Error(
                    f"{label} is shared reference data but staff may change it.",
                    hint="Reference data shared by every association is read-only for staff.",
                    obj=type(model_admin),
                    id="portal.E002",
                )
            ]
        return []
    if not isinstance(model_admin, ScopedMixin):
        return [
            checks.Error(
                f"{label}: staff can open this screen, but it is not scoped to their association.",
                hint="Inherit OrganisationScopedAdmin (or ScopedTabularInline), declare "
                "GlobalReferenceAdmin for shared read-only data, or make it superuser-only.",
                obj=type(model_admin),
                id="portal.E001",
            )
        ]
    if organisation_path(model) is None and not model_admin.organisation_path:
        return [
            checks.Error(
                f"{label} has no organisation field and declares no organisation_path.",
                hint="Set organisation_path on the model or the admin "
                '(for example "request__organisation").',
                obj=type(model_admin),
                id="portal.E003",
            )
        ]
    return []


@checks.register(checks.Tags.admin)
def check_admin_scoping(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    """Every admin screen of the project that a staff user can open is scoped."""
    return admin_scoping_errors(admin.site)


def admin_scoping_errors(site: admin.AdminSite) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    request = _staff_request()
    for model, model_admin in site._registry.items():
        if not _project_app(model) or not _staff_can_open(model_admin, request):
            continue
        errors += _scope_errors(model._meta.label, model_admin, request)
        for inline_class in model_admin.inlines:
            try:
                inline = inline_class(model, site)
            except ImproperlyConfigured as error:
                errors.append(checks.Error(str(error), obj=inline_class, id="portal.E004"))
                continue
            if inline.has_view_permission(request) or inline.has_change_permission(request):
                errors += _scope_errors(
                    f"{model._meta.label} inline {inline_class.__name__}", inline, request
                )
    return errors
