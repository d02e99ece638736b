"""The contractor's pages: the planner's work queue and request page, planning, and the
craftsman's day with recording a visit."""

import datetime
import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import F
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from contractors.models import ContractorRole, Slot
from portal.errors import ApplicationError

from . import planning, queue, vera
from .contractor_forms import PlanForm, ReuseFormSet, VisitRecordForm
from .models import AppointmentStatus
from .timeline import tenant_timeline

QUEUE_LABELS = {
    "new": gettext_lazy("New"),
    "plan": gettext_lazy("To be planned"),
    "today": gettext_lazy("Today"),
    "overdue": gettext_lazy("Overdue"),
    "emergency": gettext_lazy("Emergency"),
}


def contractor_required(role: str | None = None):
    """Logged in as a contractor user (of the given role): anyone else gets 404."""

    def decorator(view):
        @login_required
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            membership = queue.membership_for(request.user)
            if role is not None and membership.role != role:
                raise Http404
            request.membership = membership
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


@contractor_required()
def contractor_home(request):
    if request.membership.role == ContractorRole.PLANNER:
        return redirect("work_queue", queue_name="new")
    return redirect("craftsman_day")


@contractor_required(ContractorRole.PLANNER)
def work_queue(request, queue_name: str):
    search = request.GET.get("q", "")[:80]
    requests = queue.work_queue(membership=request.membership, queue=queue_name, search=search)
    page = Paginator(requests, 25).get_page(request.GET.get("pagina"))
    return render(
        request,
        "contractor/work_queue.html",
        {
            "page": page,
            "queue_name": queue_name,
            "queues": QUEUE_LABELS.items(),
            "queue_label": QUEUE_LABELS[queue_name],
            "search": search,
            "contractor": request.membership.contractor,
        },
    )


def _request_context(repair_request, membership) -> dict:
    category = repair_request.category
    planned = next(
        (a for a in repair_request.all_appointments if a.status == AppointmentStatus.PLANNED),
        None,
    )
    tenant = repair_request.reported_by or (
        repair_request.tenancy.tenant if repair_request.tenancy_id else None
    )
    return {
        "repair": repair_request,
        "planned": planned,
        "tenant": tenant,
        "is_planner": membership.role == ContractorRole.PLANNER,
        "timeline": tenant_timeline(repair_request.timeline),
        "codes": {
            "room": (category.room_code, vera.codes(vera.ROOM).get(category.room_code, "")),
            "defect": (category.defect_code, vera.codes(vera.DEFECT).get(category.defect_code, "")),
            "trade": (category.trade_code, vera.codes(vera.TRADE).get(category.trade_code, "")),
        },
        "reasons": vera.codes(vera.TASK_DETAIL_STATUS),
    }


@contractor_required()
def contractor_request(request, reference: str):
    repair_request = queue.request_for_contractor(
        membership=request.membership, reference=reference
    )
    return render(
        request, "contractor/request.html", _request_context(repair_request, request.membership)
    )


def _plannable_slots(repair_request):
    now = timezone.now()
    return (
        Slot.objects.filter(
            contractor_id=repair_request.contractor_id,
            area_id=repair_request.contract.area_id,
            ends_at__gt=now,
            date__lte=timezone.localdate() + datetime.timedelta(days=planning.PLAN_DAYS_AHEAD),
            booked__lt=F("capacity"),
        )
        .select_related("daypart")
        .order_by("starts_at")
    )


@contractor_required(ContractorRole.PLANNER)
@require_http_methods(["GET", "POST"])
def plan_visit(request, reference: str):
    repair_request = queue.request_for_contractor(
        membership=request.membership, reference=reference
    )
    context = _request_context(repair_request, request.membership)
    if repair_request.status not in planning.PLANNABLE:
        messages.warning(request, _("This request cannot be planned in its current state."))
        return redirect("contractor_request", reference=reference)
    slots = _plannable_slots(repair_request)
    if context["planned"]:
        slots = slots.exclude(pk=context["planned"].slot_id)
    form = PlanForm(
        request.POST or None,
        slots=slots,
        craftsmen=planning.craftsmen_of(request.membership.contractor_id),
        initial={"craftsman": context["planned"].craftsman_id if context["planned"] else None},
    )
    if request.method == "POST" and form.is_valid():
        try:
            planning.appointment_plan(
                repair_request=repair_request,
                slot_id=form.cleaned_data["slot"].pk,
                craftsman=form.cleaned_data["craftsman"],
                actor=request.user,
            )
        except ApplicationError as error:
            form.add_error("slot", error.message)
        else:
            messages.success(request, _("The visit is planned. The tenant gets an invitation."))
            return redirect("contractor_request", reference=reference)
    context["form"] = form
    return render(request, "contractor/plan.html", context, status=422 if form.errors else 200)


@contractor_required(ContractorRole.PLANNER)
@require_POST
def confirm_emergency(request, reference: str):
    repair_request = queue.request_for_contractor(
        membership=request.membership, reference=reference
    )
    planning.repair_request_confirm_emergency(repair_request=repair_request, actor=request.user)
    messages.success(request, _("The emergency is confirmed: staff are not alerted."))
    return redirect("contractor_request", reference=reference)


@contractor_required()
def craftsman_day(request):
    visits = queue.craftsman_day(membership=request.membership, day=timezone.localdate())
    return render(
        request,
        "contractor/day.html",
        {"visits": visits, "today": timezone.localdate(), "membership": request.membership},
    )


@contractor_required()
@require_http_methods(["GET", "POST"])
def visit_record(request, appointment_id: int):
    appointment = queue.appointment_for_contractor(
        membership=request.membership, appointment_id=appointment_id
    )
    repair_request = appointment.request
    form = VisitRecordForm(request.POST or None, request.FILES or None)
    reuses = ReuseFormSet(request.POST or None, prefix="reuse")
    if appointment.status != AppointmentStatus.PLANNED:
        messages.info(request, _("This visit is recorded already."))
        return redirect("contractor_request", reference=repair_request.reference)
    if request.method == "POST" and form.is_valid() and reuses.is_valid():
        data = form.cleaned_data
        try:
            planning.visit_record(
                appointment=appointment,
                outcome=data["outcome"],
                reason=data.get("reason", ""),
                notes=data.get("notes", ""),
                photos=data.get("photos") or [],
                reuses=[r for r in (f.as_reuse() for f in reuses.forms) if r],
                actor=request.user,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The visit is recorded."))
            return redirect("craftsman_day")
    return render(
        request,
        "contractor/visit_record.html",
        {"appointment": appointment, "repair": repair_request, "form": form, "reuses": reuses},
        status=422 if (form.errors or reuses.total_error_count()) else 200,
    )


@contractor_required()
def contractor_photo(request, reference: str, photo_id: int):
    photo = queue.photo_for_contractor(
        membership=request.membership, reference=reference, photo_id=photo_id
    )
    response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
