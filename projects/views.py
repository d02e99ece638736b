"""The tenant's project pages: the letter, a time from the capacity kept for the project, or a
question or objection instead; after either, what happens next."""

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from portal.access import appointment_can_change, change_allowed_until, tenant_required
from portal.errors import ApplicationError
from repairs.forms import CancelForm
from repairs.notifications import daypart_label

from . import selectors, services
from .forms import ProjectBookForm, ProjectRespondForm
from .models import DwellingStatus


@tenant_required
def project_list(request):
    rows = list(selectors.project_rows_for_tenant(user=request.user))
    if len(rows) == 1:
        return redirect("project_page", project_id=rows[0].project_id)
    return render(request, "projects/project_list.html", {"rows": rows})


def _context(row, form=None) -> dict:
    planned = (row.request.planned_visits or [None])[0] if row.request_id else None
    return {
        "row": row,
        "project": row.project,
        "organisation": row.project.organisation,
        "contractor": row.project.contractor,
        "planned": planned,
        "when": daypart_label(planned.slot) if planned else "",
        "form": form,
        "can_answer": row.status == DwellingStatus.INVITED and row.project.closed_at is None,
        # the tenant moves or cancels the visit here, among the project's kept places
        "can_change": row.status == DwellingStatus.BOOKED
        and planned is not None
        and appointment_can_change(appointment=planned, now=timezone.now()),
        "can_move": row.status == DwellingStatus.BOOKED
        and planned is not None
        and row.project.closed_at is None
        and row.project.ends_on >= timezone.localdate()
        and appointment_can_change(appointment=planned, now=timezone.now()),
        "change_until": change_allowed_until(planned) if planned else None,
    }


@tenant_required
@require_http_methods(["GET", "POST"])
def project_page(request, project_id: int):
    row = selectors.project_row_get_for_tenant(user=request.user, project_id=project_id)
    form = None
    if row.status == DwellingStatus.INVITED and row.project.closed_at is None:
        reservations = selectors.reservations_bookable(project=row.project)
        form = ProjectBookForm(
            request.POST if request.method == "POST" else None, reservations=reservations
        )
        if request.method == "POST" and form.is_valid():
            try:
                services.project_visit_book(
                    row=row,
                    reservation_id=form.cleaned_data["reservation"].pk,
                    actor=request.user,
                )
            except ApplicationError as error:
                form.add_error("reservation", error.message)
            else:
                messages.success(request, _("Your visit is booked."))
                return redirect("project_page", project_id=project_id)
    elif request.method == "POST":
        messages.warning(request, _("You have answered already: see what happens next below."))
        return redirect("project_page", project_id=project_id)
    return render(
        request,
        "projects/project_page.html",
        _context(row, form),
        status=422 if form is not None and form.errors else 200,
    )


@tenant_required
@require_http_methods(["GET", "POST"])
def project_respond(request, project_id: int):
    row = selectors.project_row_get_for_tenant(user=request.user, project_id=project_id)
    form = ProjectRespondForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_respond(
                row=row,
                kind=form.cleaned_data["kind"],
                text=form.cleaned_data["text"],
                actor=request.user,
            )
        except ApplicationError as error:
            form.add_error(
                error.extra.get("field") if error.extra.get("field") else None, error.message
            )
        else:
            messages.success(request, _("Thank you. We have received your message."))
            return redirect("project_page", project_id=project_id)
    return render(
        request,
        "projects/project_respond.html",
        {**_context(row), "form": form},
        status=422 if form.errors else 200,
    )


def _cannot_change(request, project_id: int):
    messages.warning(
        request,
        _(
            "This visit can no longer be changed here. "
            "Call the contractor or your housing association."
        ),
    )
    return redirect("project_page", project_id=project_id)


@tenant_required
@require_http_methods(["GET", "POST"])
def project_visit_move(request, project_id: int):
    """Another of the project's kept places for the booked visit (the repairs page of the
    visit's order sends the tenant here)."""
    row = selectors.project_row_get_for_tenant(user=request.user, project_id=project_id)
    context = _context(row)
    if not context["can_move"]:
        return _cannot_change(request, project_id)
    reservations = selectors.reservations_bookable(project=row.project).exclude(
        slot_id=context["planned"].slot_id
    )
    form = ProjectBookForm(
        request.POST if request.method == "POST" else None, reservations=reservations
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.project_visit_move(
                row=row, reservation_id=form.cleaned_data["reservation"].pk, actor=request.user
            )
        except ApplicationError as error:
            form.add_error("reservation", error.message)
        else:
            messages.success(request, _("Your appointment is moved. We sent you a new invitation."))
            return redirect("project_page", project_id=project_id)
    context["form"] = form
    return render(
        request, "projects/project_move.html", context, status=422 if form.errors else 200
    )


@tenant_required
@require_http_methods(["GET", "POST"])
def project_visit_cancel(request, project_id: int):
    row = selectors.project_row_get_for_tenant(user=request.user, project_id=project_id)
    context = _context(row)
    if not context["can_change"]:
        return _cannot_change(request, project_id)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.project_visit_cancel(
                row=row, reason=form.cleaned_data["reason"], actor=request.user
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your visit is cancelled. The contractor has been told."))
            return redirect("project_page", project_id=project_id)
    context["form"] = form
    return render(
        request, "projects/project_cancel.html", context, status=422 if form.errors else 200
    )
