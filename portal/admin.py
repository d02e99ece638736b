from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportMixin
from import_export.forms import ConfirmImportForm

# Registers the outbox's screen (outbox is the bottom layer and has no admin module).
from . import admin_outbox  # noqa: F401
from .imports import (
    DwellingResource,
    ErpCSV,
    PreviewStorage,
    TenancyResource,
    dataset_from_file,
)
from .models import (
    ActivationCode,
    CollectiveObject,
    Dwelling,
    ImportJob,
    ImportStatus,
    Neighbourhood,
    Organisation,
    StaffMembership,
    Tenancy,
    User,
)
from .paging import UnorderedCountPaginator
from .postcode import PostcodeFormField, format_postcode
from .scoping import OrganisationScopedAdmin, ScopedTabularInline, scope_queryset
from .search import normalise_term
from .selectors import staff_organisation_ids
from .services import (
    ACTIVATION_CODE_VALID,
    activation_codes_issue,
    dwellings_mark_out_of_portfolio,
    import_job_start,
    import_preview_confirm,
    import_preview_record,
)

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
    fields = [
        "contract_number",
        "start_date",
        "end_date",
        "email",
        "tenant",
        "claimed_at",
        "claimed_from_ip",
    ]
    readonly_fields = ["tenant", "claimed_at", "claimed_from_ip"]
    extra = 0
    show_change_link = True

    def get_queryset(self, request):
        # The tabular inline shows each row's __str__, which names the dwelling.
        return super().get_queryset(request).select_related("tenant", "dwelling")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # A table row has no <label> per input (the column header names it for the eye
        # only): each input carries its column's name for screen readers.
        formfield = super().formfield_for_dbfield(db_field, request, **kwargs)
        if formfield is not None and db_field.name in self.fields:
            formfield.widget.attrs["aria-label"] = formfield.label
        return formfield


class ScopedConfirmImportForm(ConfirmImportForm):
    # The preview's association, carried to the confirm step (which posts to another URL).
    organisation = forms.IntegerField(widget=forms.HiddenInput, required=False)


class ScopedImportMixin(ImportMixin):
    """CSV import into the staff user's association (the first one if they have several;
    a superuser picks one with ?organisation=<id>)."""

    resource_classes: list = []
    import_formats = [ErpCSV]
    confirm_form_class = ScopedConfirmImportForm
    # In the media storage, which every web node shares; an unconfirmed preview's file is
    # removed after a day (import_jobs_sweep), a refused one's at once.
    tmp_storage_class = PreviewStorage
    import_kind = ""

    def import_action(self, request, **kwargs):
        response = super().import_action(request, **kwargs)
        context = getattr(response, "context_data", None) or {}
        form = context.get("form")
        upload = getattr(form, "cleaned_data", {}).get("import_file") if form else None
        name = getattr(upload, "tmp_storage_name", None)
        if name:
            confirm_form = context.get("confirm_form")
            if confirm_form is None:
                # refused or unreadable: nothing to confirm, so nothing to keep
                PreviewStorage(name=name).remove()
            else:
                result = context["result"]
                import_preview_record(
                    organisation=self.import_organisation(request),
                    kind=self.import_kind,
                    file_name=PreviewStorage(name=name).get_full_path(),
                    rows=result.total_rows,
                    actor=request.user,
                )
        return response

    def _preview_job(self, request) -> ImportJob | None:
        name = request.POST.get("import_file_name") or ""
        if not name:
            return None
        jobs = scope_queryset(ImportJob.objects.all(), request)
        return jobs.filter(
            status=ImportStatus.PREVIEW,
            kind=self.import_kind,
            file=PreviewStorage(name=name).get_full_path(),
        ).first()

    def process_import(self, request, **kwargs):
        if request.method == "POST" and self._preview_job(request) is None:
            self.message_user(
                request,
                gettext(
                    "This preview has expired: previews wait a day for their confirmation. "
                    "Nothing was written. Upload the file again."
                ),
                messages.ERROR,
            )
            opts = self.model._meta
            return redirect(f"admin:{opts.app_label}_{opts.model_name}_import")
        return super().process_import(request, **kwargs)

    def process_result(self, result, request):
        job = self._preview_job(request)
        if job is not None:
            totals = result.totals
            import_preview_confirm(
                job=job, new=totals["new"], updated=totals["update"], skipped=totals["skip"]
            )
        return super().process_result(result, request)

    def get_confirm_form_initial(self, request, import_form):
        initial = super().get_confirm_form_initial(request, import_form)
        if import_form is not None:
            initial["organisation"] = self.import_organisation(request).pk
        return initial

    def import_organisation(self, request) -> Organisation:
        ids = staff_organisation_ids(request.user)
        organisations = Organisation.objects.order_by("pk")
        if ids is not None:
            organisations = organisations.filter(pk__in=ids)
        chosen = request.GET.get("organisation") or request.POST.get("organisation")
        organisation = None
        if chosen and str(chosen).isdigit():
            organisation = organisations.filter(pk=chosen).first()
        organisation = organisation or organisations.first()
        if organisation is None:
            raise PermissionDenied
        return organisation

    def get_import_resource_kwargs(self, request, **kwargs):
        return {"organisation": self.import_organisation(request)}

    def has_import_permission(self, request):
        return self.has_add_permission(request)


@admin.register(Dwelling)
class DwellingAdmin(ScopedImportMixin, PostcodeInputMixin, OrganisationScopedAdmin):
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
    # The city filter lists the association's cities from dwelling_org_city (get_list_filter).
    list_filter = ["organisation", "dwelling_type", "is_vacant", "city"]
    paginator = UnorderedCountPaginator
    # get_search_results decides what the search box finds (portal.search).
    search_fields = ["=reference"]
    search_help_text = _("A VHE number, a postcode or its first digits, or a street.")
    list_select_related = ["organisation"]
    inlines = [TenancyInline]
    resource_classes = [DwellingResource]
    import_kind = "dwellings"
    actions = ["mark_out_of_portfolio"]
    fieldsets = (
        (None, {"fields": ("organisation", "reference", "dwelling_type", "is_vacant")}),
        (
            _("Address"),
            {"fields": ("street", "house_number", "house_number_suffix", "postcode", "city")},
        ),
        (_("Portfolio"), {"fields": ("in_portfolio_from", "in_portfolio_until")}),
        (_("Neighbourhood"), {"fields": ("cbs_buurt_code", "neighbourhood_name")}),
    )

    def get_list_filter(self, request):
        # The cities of one association: a superuser picks the association first, or the
        # choices would be read from every dwelling of the installation.
        filters = super().get_list_filter(request)
        if staff_organisation_ids(request.user) is None and not any(
            key.startswith("organisation__") for key in request.GET
        ):
            filters = [entry for entry in filters if entry != "city"]
        return filters

    @admin.display(description=_("address"), ordering="street")
    def address(self, obj: Dwelling) -> str:
        return obj.address_line

    @admin.display(description=_("postcode"), ordering="postcode")
    def postcode_display(self, obj: Dwelling) -> str:
        return format_postcode(obj.postcode)

    @admin.action(description=_("Mark as out of the portfolio (from today)"))
    def mark_out_of_portfolio(self, request, queryset):
        today = timezone.localdate()
        count = 0
        for organisation_id, references in _references_by_organisation(queryset):
            count += dwellings_mark_out_of_portfolio(
                organisation_id=organisation_id, references=references, until=today
            )
        self.message_user(
            request,
            ngettext(
                "%(count)d dwelling is out of the portfolio from today.",
                "%(count)d dwellings are out of the portfolio from today.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )

    def get_search_results(self, request, queryset, search_term):
        # By VHE number, postcode start ("5611 ab" finds 5611AB) or street fragment, each by
        # an index. The queryset as given is searched, so list filters and limit_choices_to
        # (autocomplete) hold.
        return queryset.search(search_term), False


@admin.register(Tenancy)
class TenancyAdmin(ScopedImportMixin, OrganisationScopedAdmin):
    resource_classes = [TenancyResource]
    import_kind = "tenancies"

    list_display = ["contract_number", "dwelling", "start_date", "end_date", "tenant", "claimed_at"]
    list_select_related = ["dwelling", "tenant"]
    list_filter = ["organisation"]
    paginator = UnorderedCountPaginator
    # get_search_results decides what the search box finds.
    search_fields = ["=contract_number"]
    search_help_text = _(
        "A contract number, the tenant's e-mail address, or the dwelling's VHE number, "
        "postcode or street."
    )
    autocomplete_fields = ["dwelling"]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "organisation",
                    "dwelling",
                    "contract_number",
                    "start_date",
                    "end_date",
                    "email",
                )
            },
        ),
        (
            _("Tenant account"),
            {"fields": ("tenant", "claimed_at", "claimed_from_ip", "activation_letter")},
        ),
    )
    readonly_fields = ["tenant", "claimed_at", "claimed_from_ip", "activation_letter"]
    actions = ["print_activation_letters"]
    # One page of letters at most this long: each letter is a page to print.
    LETTERS_AT_ONCE = 500

    def get_urls(self):
        return [
            path(
                "<path:object_id>/activation-letter/",
                self.admin_site.admin_view(self.activation_letter_view),
                name="portal_tenancy_activation_letter",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("activation letter"))
    def activation_letter(self, obj: Tenancy) -> str:
        if obj.pk is None:
            return "–"
        if obj.tenant_id is not None:
            return gettext("Not needed: the tenancy has an account.")
        code = (
            ActivationCode.objects.filter(tenancy=obj)
            .only("valid_until", "used_at", "created_at")
            .first()
        )
        if code is None:
            state = gettext("No code made yet.")
        elif code.used_at is not None:
            state = gettext("The last code was used on %(date)s.") % {
                "date": formats.date_format(timezone.localtime(code.used_at))
            }
        elif code.valid_until > timezone.now():
            state = gettext("A code is valid until %(date)s.") % {
                "date": formats.date_format(timezone.localtime(code.valid_until))
            }
        else:
            state = gettext("The last code has expired or was replaced.")
        return format_html(
            '{} <a href="{}">{}</a>',
            state,
            reverse("admin:portal_tenancy_activation_letter", args=[obj.pk]),
            gettext("Print a letter with a new code"),
        )

    def activation_letter_view(self, request, object_id):
        """A printable letter with a new activation code for one tenancy (a POST makes the
        code; the page before it says that an earlier code stops working)."""
        tenancy = self.get_object(request, object_id)
        if not self.has_change_permission(request, tenancy):
            raise PermissionDenied
        if request.method == "POST":
            return self._letters(request, Tenancy.objects.filter(pk=tenancy.pk))
        return TemplateResponse(
            request,
            "admin/portal/tenancy/activation_letter_confirm.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "tenancy": tenancy,
                "title": gettext("Print an activation letter"),
            },
        )

    @admin.action(description=_("Print activation letters with a new code"), permissions=["change"])
    def print_activation_letters(self, request, queryset):
        return self._letters(request, queryset)

    def _letters(self, request, queryset):
        today = timezone.localdate()
        claimable = (
            queryset.filter(tenant__isnull=True, start_date__lte=today)
            .exclude(end_date__lt=today)
            .select_related("dwelling", "organisation")
            .order_by("dwelling__postcode", "dwelling__house_number", "pk")
        )
        tenancies = list(claimable[: self.LETTERS_AT_ONCE + 1])
        if len(tenancies) > self.LETTERS_AT_ONCE:
            self.message_user(
                request,
                gettext("Choose at most %(count)d tenancies at once.")
                % {"count": self.LETTERS_AT_ONCE},
                messages.ERROR,
            )
            return redirect("admin:portal_tenancy_changelist")
        if not tenancies:
            self.message_user(
                request,
                gettext(
                    "No letters: the tenancies chosen have an account already, or are not current."
                ),
                messages.WARNING,
            )
            return redirect("admin:portal_tenancy_changelist")
        issued = activation_codes_issue(tenancies=tenancies, actor=request.user)
        valid_until = timezone.localtime(timezone.now()) + ACTIVATION_CODE_VALID
        return TemplateResponse(
            request,
            "admin/portal/tenancy/activation_letters.html",
            {
                "letters": issued,
                "valid_until": valid_until,
                # the portal's public address: the admin may be reached by another name
                "claim_url": f"{settings.SITE_URL}{reverse('claim')}",
                "skipped": queryset.count() - len(issued),
                "back": reverse("admin:portal_tenancy_changelist"),
            },
        )

    def get_search_results(self, request, queryset, search_term):
        # Exact matches first (contract number, e-mail address), else the tenancies of the
        # dwellings found (portal.search); each by an index, none by text across a join.
        term = normalise_term(search_term)
        if not term:
            return queryset, False
        if "@" in term:
            tenants = User.objects.filter(email=term.lower())
            return queryset.filter(tenant_id__in=tenants.values("pk")), False
        by_contract = queryset.filter(contract_number=term)
        if by_contract.exists():
            return by_contract, False
        dwellings = scope_queryset(Dwelling.objects.all(), request).search(term)
        return queryset.filter(dwelling_id__in=dwellings.values("pk")), False


def _references_by_organisation(queryset):
    grouped: dict[int, list[str]] = {}
    for organisation_id, reference in queryset.values_list("organisation_id", "reference"):
        grouped.setdefault(organisation_id, []).append(reference)
    return grouped.items()


@admin.register(ImportJob)
class ImportJobAdmin(OrganisationScopedAdmin):
    """Large CSV files: checked and written by a Celery task; this page shows its progress."""

    list_display = ["__str__", "kind", "status", "progress", "total_rows", "created_by"]
    list_select_related = ["created_by"]
    list_filter = ["kind", "status"]
    search_fields = ["file"]
    fields = ["organisation", "kind", "file"]
    change_form_template = "admin/portal/importjob/change_form.html"

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    @admin.display(description=_("progress"))
    def progress(self, obj: ImportJob) -> str:
        return f"{obj.percent}%"

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["organisation", "kind", "file"]
        return [
            "kind",
            "status",
            "progress",
            "total_rows",
            "processed_rows",
            "new_rows",
            "updated_rows",
            "skipped_rows",
            "message",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        ]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        job = import_job_start(
            organisation=form.cleaned_data["organisation"],
            kind=form.cleaned_data["kind"],
            upload=form.cleaned_data["file"],
            actor=request.user,
        )
        obj.pk = job.pk
        obj.refresh_from_db()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        extra_context = extra_context or {}
        extra_context["job"] = job
        extra_context["missing"] = []
        if job.kind == "dwellings" and job.status == "done" and job.file:
            if request.method == "POST" and "mark_missing" in request.POST:
                references = _missing_references(job)
                count = dwellings_mark_out_of_portfolio(
                    organisation_id=job.organisation_id,
                    references=references,
                    until=timezone.localdate(),
                )
                self.message_user(
                    request,
                    ngettext(
                        "%(count)d dwelling missing from the file is out of the portfolio.",
                        "%(count)d dwellings missing from the file are out of the portfolio.",
                        count,
                    )
                    % {"count": count},
                    messages.SUCCESS,
                )
                return redirect(request.path)
            extra_context["missing"] = _missing_references(job)[:200]
        return super().change_view(request, object_id, form_url, extra_context)


def _missing_references(job: ImportJob) -> list[str]:
    """Dwellings in the portfolio that the imported file did not list.

    Compared here rather than with reference NOT IN (…file…): a file of 40,000 rows would pass
    the number of parameters SQLite (32,766) and PostgreSQL (65,535) take in one query."""
    dataset = dataset_from_file(job.file)
    # The column as the import read it: whatever its case or surrounding spaces.
    column = next(
        (h for h in dataset.headers or [] if str(h).strip().casefold() == "vhe_nummer"), None
    )
    listed = {str(value).strip() for value in dataset[column]} if column else set()
    references = (
        Dwelling.objects.filter(
            organisation_id=job.organisation_id, in_portfolio_until__isnull=True
        )
        .order_by("reference")
        .values_list("reference", flat=True)
    )
    return [reference for reference in references.iterator() if reference not in listed]


@admin.register(CollectiveObject)
class CollectiveObjectAdmin(PostcodeInputMixin, OrganisationScopedAdmin):
    """Common areas (VERA collectief-objecten): staff add the stairwells, lifts, galleries and
    roofs of their complexes, so a report on one can be taken ("Take a report")."""

    list_display = [
        "name",
        "kind",
        "postcode_display",
        "house_number_from",
        "house_number_to",
        "complex_code",
        "is_active",
    ]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "=complex_code", "=postcode"]
    search_help_text = _("A name, a complex code or a postcode (1234AB).")
    fields = [
        "organisation",
        "kind",
        "name",
        "complex_code",
        "postcode",
        "house_number_from",
        "house_number_to",
        "is_active",
    ]

    @admin.display(description=_("postcode"), ordering="postcode")
    def postcode_display(self, obj: CollectiveObject) -> str:
        return format_postcode(obj.postcode)


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(OrganisationScopedAdmin):
    """The association's neighbourhoods, where SROI contributions land: CBS buurten by their
    code (as on the dwellings), or places of the association's own naming."""

    list_display = ["name", "cbs_buurt_code"]
    search_fields = ["name", "=cbs_buurt_code"]
    fields = ["organisation", "name", "cbs_buurt_code"]
