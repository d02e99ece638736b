"""The tenant's page about their own data, and its download."""

from django.http import FileResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from portal.access import tenant_required

from .selectors import export_tenancies_for_tenant, export_zip


def export_filename() -> str:
    return f"mijn-gegevens-{timezone.localdate():%Y-%m-%d}.zip"


@tenant_required
@require_GET
def my_data(request):
    """What the association keeps about the tenant, for how long, and the download."""
    tenancies = (
        export_tenancies_for_tenant(user=request.user)
        .select_related("organisation", "dwelling")
        .order_by("-start_date", "pk")
    )
    return render(request, "privacy/my_data.html", {"tenancies": tenancies})


@tenant_required
@require_GET
def my_data_download(request):
    """A ZIP of the tenant's tenancies, requests, visits, survey answers and photos."""
    archive = export_zip(
        tenancies=export_tenancies_for_tenant(user=request.user), account=request.user
    )
    response = FileResponse(
        archive, as_attachment=True, filename=export_filename(), content_type="application/zip"
    )
    response["Cache-Control"] = "private, no-store"
    return response
