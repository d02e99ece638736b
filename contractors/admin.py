from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet
from django.utils.translation import gettext_lazy as _

from portal.admin import PostcodeInputMixin, SuperuserOnlyAdmin
from portal.scoping import OrganisationScopedAdmin, ScopedTabularInline

from .models import (
    Area,
    Contract,
    Contractor,
    ContractorMembership,
    ContractTypeFee,
    Daypart,
    PostcodeRule,
    Slot,
    WeeklySchedule,
)


@admin.register(Contractor)
class ContractorAdmin(admin.ModelAdmin):
    """Contractors are a directory shared by all associations (a contractor serves several):
    staff may look them up and pick them for a contract; only superusers change them."""

    list_display = ["name", "kvk_number", "contact_name", "email", "phone"]
    search_fields = ["name", "=kvk_number"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(ContractorMembership)
class ContractorMembershipAdmin(SuperuserOnlyAdmin):
    list_display = ["user", "contractor", "role"]
    list_select_related = ["user", "contractor"]
    list_filter = ["role", "contractor"]
    autocomplete_fields = ["user", "contractor"]
    search_fields = ["user__email", "contractor__name"]


class PostcodeRuleFormSet(BaseInlineFormSet):
    """Rules entered together must not overlap each other either."""

    def clean(self) -> None:
        super().clean()
        rules = [
            form.instance
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and not form.errors
        ]
        for index, rule in enumerate(rules):
            for other in rules[index + 1 :]:
                if rule.overlaps(other):
                    raise ValidationError(
                        _("Rules %(first)s and %(second)s overlap.")
                        % {"first": rule, "second": other}
                    )


class PostcodeRuleInline(PostcodeInputMixin, ScopedTabularInline):
    model = PostcodeRule
    formset = PostcodeRuleFormSet
    fields = ["range_start", "range_end", "postcode"]
    extra = 1


@admin.register(Area)
class AreaAdmin(OrganisationScopedAdmin):
    list_display = ["name", "organisation"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    search_fields = ["name"]
    inlines = [PostcodeRuleInline]


@admin.register(PostcodeRule)
class PostcodeRuleAdmin(PostcodeInputMixin, OrganisationScopedAdmin):
    list_display = ["__str__", "area", "range_start", "range_end", "postcode"]
    list_filter = ["area"]
    list_select_related = ["area"]
    search_fields = ["postcode", "area__name"]
    fields = ["organisation", "area", "range_start", "range_end", "postcode"]
    autocomplete_fields = ["area"]


class ContractTypeFeeInline(ScopedTabularInline):
    model = ContractTypeFee
    fields = ["dwelling_type", "fee_per_dwelling_year"]
    extra = 0


@admin.register(Contract)
class ContractAdmin(OrganisationScopedAdmin):
    list_display = [
        "contractor",
        "area",
        "valid_from",
        "valid_until",
        "fee_per_dwelling_year",
        "sroi_pledge_percent",
    ]
    list_filter = ["contractor", "area"]
    list_select_related = ["contractor", "area"]
    search_fields = ["contractor__name", "area__name"]
    autocomplete_fields = ["contractor", "area"]
    inlines = [ContractTypeFeeInline]
    fieldsets = (
        (None, {"fields": ("organisation", "contractor", "area", "valid_from", "valid_until")}),
        (_("Fee and social return"), {"fields": ("fee_per_dwelling_year", "sroi_pledge_percent")}),
    )


@admin.register(Daypart)
class DaypartAdmin(SuperuserOnlyAdmin):
    """A contractor's own hours; contractors set them in their portal, not staff."""

    list_display = ["contractor", "kind", "start_time", "end_time"]
    list_select_related = ["contractor"]
    list_filter = ["kind"]
    search_fields = ["contractor__name"]


class ReadOnlyForStaffMixin:
    """Capacity belongs to the contractor: staff look, the contractor's planners change it."""

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(WeeklySchedule)
class WeeklyScheduleAdmin(ReadOnlyForStaffMixin, OrganisationScopedAdmin):
    list_display = ["area", "contractor", "weekday", "daypart", "capacity"]
    list_select_related = ["area", "contractor", "daypart"]
    list_filter = ["area", "weekday"]
    search_fields = ["area__name", "contractor__name"]
    autocomplete_fields = ["area", "contractor"]


@admin.register(Slot)
class SlotAdmin(ReadOnlyForStaffMixin, OrganisationScopedAdmin):
    list_display = ["date", "daypart", "area", "contractor", "capacity", "booked"]
    list_select_related = ["area", "contractor", "daypart"]
    list_filter = ["area", "contractor"]
    date_hierarchy = "date"
    search_fields = ["area__name", "contractor__name"]
    ordering = ["-date"]
