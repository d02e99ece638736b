"""The tenant's pages: report a defect, follow it, move or cancel the visit."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from contractors.routing import route
from portal.access import appointment_can_change, change_allowed_until, tenant_required
from portal.errors import ApplicationError
from portal.models import Tenancy

from . import bundles, selectors, services
from .catalogue import (
    is_something_else,
    repair_category_something_else_get_or_create,
    something_else_for,
)
from .forms import (
    CancelForm,
    CategorySearchForm,
    EmergencyForm,
    ReportForm,
    RescheduleForm,
    SomethingElseForm,
)
from .ics import appointment_ics, default_organiser
from .lifecycle import OPEN_STATUSES, Status
from .models import (
    Appointment,
    AppointmentStatus,
    MaintenanceKind,
    RepairCategory,
    Responsibility,
)
from .services.bundling import repair_request_report_combined
from .timeline import tenant_timeline
from .vera import room_names


def _tenancy(request) -> Tenancy:
    raw = request.GET.get("woning") or request.POST.get("woning")
    tenancy_id = int(raw) if raw and raw.isdigit() else None
    return selectors.tenancy_get_for_tenant(user=request.user, tenancy_id=tenancy_id)


@tenant_required
def report_start(request):
    """Step 1: where and what. A search, and the categories grouped by room."""
    tenancies = list(selectors.tenancies_current_for(user=request.user))
    if not tenancies:
        return render(request, "repairs/no_tenancy.html")
    tenancy = _tenancy(request)
    form = CategorySearchForm(request.GET or None)
    query = form.cleaned_data["q"] if form.is_valid() else ""
    room = request.GET.get("ruimte", "")
    rooms = room_names()
    if room not in rooms:
        room = ""
    categories = list(
        selectors.categories_for(organisation_id=tenancy.organisation_id, query=query, room=room)
    )
    groups: dict[str, list[RepairCategory]] = {}
    for category in categories:
        # "Something else" closes each room's list below, whether its category exists yet
        # or not (it is made the first time a tenant reports one).
        items = groups.setdefault(category.room_code, [])
        if not is_something_else(category):
            items.append(category)
    context = {
        "form": form,
        "tenancy": tenancy,
        "tenancies": tenancies,
        "groups": [(code, rooms.get(code, code), items) for code, items in groups.items()],
        "match_count": sum(len(items) for items in groups.values()),
        "query": query,
        "room": room,
        "room_name": rooms.get(room, ""),
    }
    template = "repairs/_category_results.html" if request.htmx else "repairs/report_start.html"
    return render(request, template, context)


@tenant_required
@require_http_methods(["GET", "POST"])
def report_category(request, category_id: int):
    """Step 2: the advice, the emergency number, or the report with photos and a daypart."""
    tenancy = _tenancy(request)
    category = get_object_or_404(
        RepairCategory, pk=category_id, organisation_id=tenancy.organisation_id, is_active=True
    )
    if category.responsibility == Responsibility.TENANT:
        context = {"tenancy": tenancy, "category": category, "organisation": tenancy.organisation}
        return render(request, "repairs/report_advice.html", context)
    return _report(request, tenancy=tenancy, category=category)


@tenant_required
@require_http_methods(["GET", "POST"])
def report_something_else(request, room: str):
    """Step 2 for a defect not in the list: "Something else" in a room, described freely."""
    tenancy = _tenancy(request)
    if room not in room_names():
        raise Http404
    category = something_else_for(organisation_id=tenancy.organisation_id, room_code=room)
    return _report(
        request,
        tenancy=tenancy,
        category=category,
        form_class=SomethingElseForm,
        saved_category=lambda: repair_category_something_else_get_or_create(
            organisation_id=tenancy.organisation_id, room_code=room
        ),
        heading=_("Something else: %(room)s") % {"room": category.room_name},
    )


def _report(request, *, tenancy, category, form_class=ReportForm, saved_category=None, heading=""):
    """The report of a landlord's repair: the form, and on a good post the request saved and
    routed. `saved_category` gives the category to store when `category` is not saved yet."""
    context = {
        "tenancy": tenancy,
        "category": category,
        "organisation": tenancy.organisation,
        "heading": heading or category.name,
    }
    contract = route(tenancy.dwelling, timezone.localdate())
    offer, riders = None, []
    if category.is_emergency:
        form = EmergencyForm(request.POST or None, initial={"contact_phone": request.user.phone})
    else:
        slots = selectors.slots_free_for(contract=contract) if contract else None
        # Keep the choice while a posted slot is checked, so a time taken meanwhile is refused
        # next to the field instead of the report going through without a visit.
        if slots is not None and not request.POST.get("slot") and not slots.exists():
            slots = None
        # One visit instead of two: a visit of the same contractor planned in the dwelling
        # takes this job too, or the tenant's other open jobs come along on the time chosen.
        visits = rider_choices = None
        if contract is not None:
            visits = bundles.combinable_visits(
                dwelling_id=tenancy.dwelling_id, contractor_id=contract.contractor_id
            )
            offer = visits.first()
            if offer is None and not request.POST.get("combine"):
                visits = None
            if slots is not None:
                rider_choices = bundles.combinable_requests(
                    dwelling_id=tenancy.dwelling_id, contractor_id=contract.contractor_id
                )
                riders = list(rider_choices)
                if not riders:
                    rider_choices = None
        form = form_class(
            request.POST or None,
            request.FILES or None,
            slots=slots,
            visits=visits,
            riders=rider_choices,
            initial={"contact_phone": request.user.phone},
        )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        slot = data.get("slot")
        visit = data.get("combine")
        report = {
            "tenancy": tenancy,
            "category": saved_category() if saved_category else category,
            "description": data["description"],
            "actor": request.user,
            "photos": data.get("photos") or [],
            "access_notes": data.get("access_notes", ""),
            "contact_phone": data["contact_phone"],
        }
        try:
            if visit is not None or data.get("riders"):
                repair_request = repair_request_report_combined(
                    **report,
                    visit=visit,
                    slot_id=slot.pk if slot else None,
                    riders=list(data.get("riders") or []),
                )
            else:
                repair_request = services.repair_request_report(
                    **report, slot_id=slot.pk if slot else None
                )
        except (services.SlotFull, services.SlotNotBookable) as error:
            if visit is not None:
                form.add_error(None, error.message)
            else:
                form.add_error("slot", error.message)
                form.fields["slot"].queryset = selectors.slots_free_for(contract=contract)
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return redirect("report_done", reference=repair_request.reference)
    context.update({"form": form, "contract": contract, "offer": offer, "riders": riders})
    template = (
        "repairs/report_emergency.html" if category.is_emergency else "repairs/report_form.html"
    )
    return render(request, template, context, status=200 if not form.errors else 422)


@tenant_required
def report_done(request, reference: str):
    repair_request = selectors.repair_request_get_for_tenant(user=request.user, reference=reference)
    context = _detail_context(repair_request)
    planned = context["planned"]
    # the tenant's other jobs of this dwelling that come along on this visit
    context["riders"] = (
        list(
            planned.riders.filter(
                status=AppointmentStatus.PLANNED, request__dwelling_id=repair_request.dwelling_id
            ).select_related("request__category")
        )
        if planned is not None and planned.shared_visit_id is None
        else []
    )
    return render(request, "repairs/report_done.html", context)


def _detail_context(repair_request) -> dict:
    planned = next(
        (a for a in repair_request.all_appointments if a.status == AppointmentStatus.PLANNED),
        None,
    )
    can_change = repair_request.status in OPEN_STATUSES and (
        planned is None or appointment_can_change(appointment=planned, now=timezone.now())
    )
    timeline = tenant_timeline(repair_request.timeline)
    return {
        "repair": repair_request,
        "organisation": repair_request.organisation,
        "planned": planned,
        # the job this visit is combined with, when it rides along on another's visit
        "combined_with": Appointment.objects.select_related("request__category")
        .filter(pk=planned.shared_visit_id)
        .first()
        if planned is not None and planned.shared_visit_id
        else None,
        "timeline": timeline,
        # why staff or the contractor rejected it: the note of the last "rejected" line
        "rejected_reason": next(
            (line["note"] for line in reversed(timeline) if line["status"] == Status.REJECTED),
            "",
        )
        if repair_request.status == Status.REJECTED
        else "",
        "can_reschedule": planned is not None and can_change,
        "can_cancel": can_change and repair_request.status != Status.COMPLETED,
        "change_until": change_allowed_until(planned) if planned else None,
    }


@tenant_required
def my_repairs(request):
    requests = selectors.repair_request_list_for_tenant(user=request.user)
    page = Paginator(requests, 20).get_page(request.GET.get("pagina"))
    return render(request, "repairs/my_repairs.html", {"page": page})


@tenant_required
def repair_detail(request, reference: str):
    repair_request = selectors.repair_request_get_for_tenant(user=request.user, reference=reference)
    return render(request, "repairs/repair_detail.html", _detail_context(repair_request))


def _project_page(repair_request, url_name: str):
    """A visit of a project (planned work) is moved or cancelled on the project's page, among
    the places kept for the project; None for any other order."""
    if repair_request.maintenance_kind not in (MaintenanceKind.PLANNED, MaintenanceKind.PROJECT):
        return None
    row = getattr(repair_request, "project_dwelling", None)  # the projects app's row
    return redirect(url_name, project_id=row.project_id) if row is not None else None


@tenant_required
@require_http_methods(["GET", "POST"])
def repair_reschedule(request, reference: str):
    repair_request = selectors.repair_request_get_for_tenant(user=request.user, reference=reference)
    if project_page := _project_page(repair_request, "project_visit_move"):
        return project_page
    context = _detail_context(repair_request)
    if not context["can_reschedule"]:
        messages.warning(
            request,
            _(
                "This visit can no longer be moved here. "
                "Call the contractor or your housing association."
            ),
        )
        return redirect("repair_detail", reference=reference)
    slots = selectors.slots_free_for(repair_request=repair_request).exclude(
        pk=context["planned"].slot_id
    )
    form = RescheduleForm(request.POST or None, slots=slots)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_reschedule(
                repair_request=repair_request,
                slot_id=form.cleaned_data["slot"].pk,
                actor=request.user,
            )
        except ApplicationError as error:
            form.add_error("slot", error.message)
        else:
            messages.success(request, _("Your appointment is moved. We sent you a new invitation."))
            return redirect("repair_detail", reference=reference)
    context["form"] = form
    return render(
        request, "repairs/repair_reschedule.html", context, status=422 if form.errors else 200
    )


@tenant_required
@require_http_methods(["GET", "POST"])
def repair_cancel(request, reference: str):
    repair_request = selectors.repair_request_get_for_tenant(user=request.user, reference=reference)
    if project_page := _project_page(repair_request, "project_visit_cancel"):
        return project_page
    context = _detail_context(repair_request)
    if not context["can_cancel"]:
        messages.warning(
            request,
            _(
                "This repair can no longer be cancelled here. "
                "Call the contractor or your housing association."
            ),
        )
        return redirect("repair_detail", reference=reference)
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.repair_request_cancel(
                repair_request=repair_request,
                reason=form.cleaned_data["reason"],
                actor=request.user,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your repair is cancelled. The contractor has been told."))
            return redirect("repair_detail", reference=reference)
    context["form"] = form
    return render(
        request, "repairs/repair_cancel.html", context, status=422 if form.errors else 200
    )


@tenant_required
def repair_photo(request, reference: str, photo_id: int):
    photo = selectors.photo_get_for_tenant(
        user=request.user, reference=reference, photo_id=photo_id
    )
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response


@tenant_required
def repair_ics(request, reference: str):
    repair_request = selectors.repair_request_get_for_tenant(user=request.user, reference=reference)
    appointment: Appointment | None = _detail_context(repair_request)["planned"]
    if appointment is None:
        raise Http404
    body = appointment_ics(
        uid=f"{repair_request.reference}@ketenportaal",
        sequence=appointment.sequence,
        starts_at=appointment.starts_at,
        ends_at=appointment.ends_at,
        summary=_("Repair %(reference)s: %(contractor)s")
        % {"reference": repair_request.reference, "contractor": repair_request.contractor.name},
        location=str(repair_request.dwelling),
        description=repair_request.category.name,
        organiser_email=repair_request.organisation.mail_from or default_organiser(),
    )
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="afspraak-{reference}.ics"'
    return response
