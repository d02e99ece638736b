"""The one admin base class that scopes every screen to the staff user's associations.

A staff user of association A sees and can pick only A's rows: change lists, change forms,
foreign-key choices, autocomplete, search and filters. A superuser sees all. An object
outside the user's scope answers 404, as a missing one does.
"""

from django.contrib import admin
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import models
from django.http import Http404
from django.utils.functional import cached_property

from .models import Organisation
from .selectors import staff_organisation_ids


def _organisation_path(model: type[models.Model]) -> str | None:
    """The lookup from a model to its organisation, or None if it has none."""
    if model is Organisation:
        return "pk"
    try:
        model._meta.get_field("organisation")
    except FieldDoesNotExist:
        return getattr(model, "organisation_lookup", None)
    return "organisation"


def scope_queryset(queryset: models.QuerySet, request) -> models.QuerySet:
    """Restrict a queryset of any model to what the request's user may see."""
    organisation_ids = staff_organisation_ids(request.user)
    if organisation_ids is None:
        return queryset
    path = _organisation_path(queryset.model)
    if path is None:
        return queryset
    return queryset.filter(**{f"{path}__in": organisation_ids})


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """A related-field filter that lists only rows the user may see."""

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
        queryset = scope_queryset(queryset, request)
        if ordering:
            queryset = queryset.order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class ScopedMixin:
    """Scoping for ModelAdmin and inlines alike."""

    def get_queryset(self, request):
        return scope_queryset(super().get_queryset(request), request)

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


class OrganisationScopedAdmin(ScopedMixin, admin.ModelAdmin):
    """Base class of every staff screen in the admin. See the module docstring."""

    show_full_result_count = False
    paginator = CappedCountPaginator

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is None:
            raise Http404
        return obj

    def get_list_filter(self, request):
        filters = []
        for entry in super().get_list_filter(request):
            if isinstance(entry, str) and "__" not in entry:
                field = self.model._meta.get_field(entry)
                if field.many_to_one or field.many_to_many:
                    entry = (entry, ScopedRelatedFieldListFilter)
            filters.append(entry)
        return filters


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
