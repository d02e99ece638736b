from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from .models import Dwelling, Organisation, StaffMembership, Tenancy, User
from .postcode import PostcodeFormField, format_postcode
from .scoping import OrganisationScopedAdmin, ScopedTabularInline

admin.site.site_header = _("Ketenportaal – administration")
admin.site.site_title = _("Ketenportaal")
admin.site.index_title = _("Repairs in the chain")


class SuperuserOnlyAdmin(admin.ModelAdmin):
    """Screens of the platform itself, not of one association."""

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


class PostcodeInputMixin:
    """Admin forms take a postcode as staff type it ("5611 ab") and store it as 5611AB."""

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "postcode":
            kwargs["form_class"] = PostcodeFormField
        return super().formfield_for_dbfield(db_field, request, **kwargs)


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Accounts span associations (a contractor works for several), so only superusers see all."""

    ordering = ["email"]
    list_display = ["email", "first_name", "last_name", "is_staff", "is_superuser", "is_active"]
    list_filter = ["is_staff", "is_superuser", "is_active"]
    search_fields = ["email", "first_name", "last_name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name", "phone", "language")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    show_full_result_count = False

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    list_display = ["name", "emergency_phone", "contact_email", "survey_delay_hours"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        return () if request.user.is_superuser else ("name", "slug")

    def get_prepopulated_fields(self, request, obj=None):
        # A read-only slug is not in the form; prepopulating it would crash the change page.
        return super().get_prepopulated_fields(request, obj) if request.user.is_superuser else {}


@admin.register(StaffMembership)
class StaffMembershipAdmin(OrganisationScopedAdmin):
    list_display = ["user", "organisation", "created_at"]
    list_select_related = ["user", "organisation"]
    list_filter = ["organisation"]
    search_fields = ["user__email", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]


class TenancyInline(ScopedTabularInline):
    model = Tenancy
    fields = ["contract_number", "start_date", "end_date", "tenant"]
    readonly_fields = ["tenant"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        # The tabular inline shows each row's __str__, which names the dwelling.
        return super().get_queryset(request).select_related("tenant", "dwelling")


@admin.register(Dwelling)
class DwellingAdmin(PostcodeInputMixin, OrganisationScopedAdmin):
    list_display = [
        "reference",
        "address",
        "postcode_display",
        "city",
        "dwelling_type",
        "in_portfolio_from",
        "in_portfolio_until",
        "is_vacant",
    ]
    list_filter = ["organisation", "dwelling_type", "is_vacant", "city"]
    search_fields = ["=reference", "postcode", "street", "city"]
    list_select_related = ["organisation"]
    inlines = [TenancyInline]
    fieldsets = (
        (None, {"fields": ("organisation", "reference", "dwelling_type", "is_vacant")}),
        (
            _("Address"),
            {"fields": ("street", "house_number", "house_number_suffix", "postcode", "city")},
        ),
        (_("Portfolio"), {"fields": ("in_portfolio_from", "in_portfolio_until")}),
    )

    @admin.display(description=_("address"), ordering="street")
    def address(self, obj: Dwelling) -> str:
        return obj.address_line

    @admin.display(description=_("postcode"), ordering="postcode")
    def postcode_display(self, obj: Dwelling) -> str:
        return format_postcode(obj.postcode)

    def get_search_results(self, request, queryset, search_term):
        # "1234 ab" finds 1234AB: postcodes are stored without the space.
        compact = search_term.replace(" ", "").upper()
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if compact and compact != search_term:
            # Search the queryset as given, so active list filters (and limit_choices_to) hold.
            extra, extra_duplicates = super().get_search_results(request, queryset, compact)
            found = found | extra
            may_have_duplicates = may_have_duplicates or extra_duplicates
        return found, may_have_duplicates


@admin.register(Tenancy)
class TenancyAdmin(OrganisationScopedAdmin):
    list_display = ["contract_number", "dwelling", "start_date", "end_date", "tenant"]
    list_select_related = ["dwelling", "tenant"]
    list_filter = ["organisation"]
    search_fields = [
        "=contract_number",
        "dwelling__reference",
        "dwelling__postcode",
        "tenant__email",
    ]
    autocomplete_fields = ["dwelling"]
    readonly_fields = ["tenant", "claimed_at"]
