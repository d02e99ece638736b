from django.contrib import admin, messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from portal.scoping import OrganisationScopedAdmin

from .models import TenantData
from .selectors import export_tenancies_for_staff, export_zip, tenancy_get_for_staff
from .services import ErasureRefused, erasure_refusals, erasure_tenancies, tenant_erase
from .views import export_filename


@admin.register(TenantData)
class TenantDataAdmin(OrganisationScopedAdmin):
    """Find a tenancy by its contract number; export its tenant's data, or erase it early.

    Staff who may see tenancies may export; staff who may change them may erase. Another
    association's tenancy answers 404 (tenancy_get_for_staff)."""

    list_display = [
        "contract_number",
        "dwelling",
        "start_date",
        "end_date",
        "tenant",
        "anonymised_at",
        "privacy_links",
    ]
    list_select_related = ["dwelling", "tenant"]
    search_fields = ["=contract_number"]
    search_help_text = _("The contract number of the tenancy.")
    list_display_links = None

    def has_module_permission(self, request):
        return request.user.is_active and request.user.has_perm("portal.view_tenancy")

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "<int:tenancy_id>/export/",
                self.admin_site.admin_view(self.export_view),
                name="privacy_tenantdata_export",
            ),
            path(
                "<int:tenancy_id>/erase/",
                self.admin_site.admin_view(self.erase_view),
                name="privacy_tenantdata_erase",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("the tenant's data"))
    def privacy_links(self, obj: TenantData) -> str:
        if obj.anonymised_at is not None:
            return gettext("Anonymised")
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:privacy_tenantdata_export", args=[obj.pk]),
            gettext("Download"),
            reverse("admin:privacy_tenantdata_erase", args=[obj.pk]),
            gettext("Erase"),
        )

    def export_view(self, request, tenancy_id: int):
        """The tenant's data as the tenant downloads it, for this association only."""
        if not self.has_view_permission(request):
            raise Http404
        tenancy = tenancy_get_for_staff(user=request.user, pk=tenancy_id)
        archive = export_zip(
            tenancies=export_tenancies_for_staff(tenancy=tenancy), account=tenancy.tenant
        )
        return FileResponse(
            archive, as_attachment=True, filename=export_filename(), content_type="application/zip"
        )

    def erase_view(self, request, tenancy_id: int):
        """Erase a former tenant's data now, at their request; the page says why not while a
        tenancy runs or a request is open."""
        if not self.has_view_permission(request):
            raise Http404
        tenancy = tenancy_get_for_staff(user=request.user, pk=tenancy_id)
        may_erase = request.user.has_perm("portal.change_tenancy")
        reasons: list[str] = []
        if request.method == "POST" and may_erase and tenancy.anonymised_at is None:
            try:
                counts = tenant_erase(tenancy=tenancy, actor=request.user, now=timezone.now())
            except ErasureRefused as refused:
                reasons = refused.extra["reasons"]
            else:
                messages.success(
                    request,
                    gettext(
                        "The data of %(tenancies)d tenancies and %(requests)d repair requests "
                        "is erased."
                    )
                    % {"tenancies": counts.tenancies, "requests": counts.requests},
                )
                return redirect("admin:privacy_tenantdata_changelist")
        elif tenancy.anonymised_at is None:
            reasons = erasure_refusals(tenancy=tenancy, today=timezone.localdate())
        covered = list(
            erasure_tenancies(tenancy=tenancy)
            .select_related("dwelling")
            .order_by("start_date", "pk")
        )
        return TemplateResponse(
            request,
            "admin/privacy/tenantdata/erase.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": gettext("Erase the tenant's data"),
                "tenancy": tenancy,
                "covered": covered,
                "reasons": reasons,
                "may_erase": may_erase,
            },
        )
