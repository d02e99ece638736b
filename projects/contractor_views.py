"""The contractor's project pages: its projects with their progress, and per project the
dwellings with the tenant's booking."""

from django.core.paginator import Paginator
from django.shortcuts import render

from contractors.access import contractor_required

from . import selectors


@contractor_required()
def contractor_projects(request):
    projects = selectors.projects_for_contractor(membership=request.membership)
    page = Paginator(projects, 25).get_page(request.GET.get("pagina"))
    return render(
        request,
        "projects/contractor_projects.html",
        {"page": page, "contractor": request.membership.contractor},
    )


@contractor_required()
def contractor_project(request, project_id: int):
    project = selectors.project_get_for_contractor(
        membership=request.membership, project_id=project_id
    )
    rows = selectors.project_rows_for_progress(project=project)
    page = Paginator(rows, 50).get_page(request.GET.get("pagina"))
    return render(
        request,
        "projects/contractor_project.html",
        {"project": project, "page": page, "contractor": request.membership.contractor},
    )
