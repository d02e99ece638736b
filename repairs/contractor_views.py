"""The contractor's pages: the planner's work queue and request page, planning, and the
craftsman's day with recording a visit."""

from django.contrib import messages
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from contractors.access import (
    appointment_can_record,
    contractor_required,
    is_planner,
    planner_required,
    repair_request_can_reject,
)
from portal.errors import ApplicationError
from portal.paging import UnorderedCountPaginator

from . import queue, selectors, services, vera
from .contractor_forms import PlanForm, ReuseFormSet, VisitRecordForm
from .lifecycle import PLANNABLE_STATUSES, Status, can_transition
from .models import AppointmentStatus, RejectCategory
from .services.appointments import Origin, appointment_join
from .timeline import tenant_timeline

# the longest reason a planner's rejection keeps; the tenant reads it on their timeline
REJECT_REASON_LENGTH = 1000

QUEUE_LABELS = {
    "new": gettext_lazy("New"),
    "plan": gettext_lazy("To be planned"),
    "planned": gettext_lazy("Planned"),
    "today": gettext_lazy("Today"),
    # a planned visit whose daypart is over and nobody recorded it
    "overdue": gettext_lazy("Visit not recorded"),
    # open past the latest completion of the contract's norms
    "late": gettext_lazy("Past the deadline"),
    "emergency": gettext_lazy("Emergency"),
    "all": gettext_lazy("All requests"),
}


@contractor_required()
def contractor_home(request):
    if is_planner(request.membership):
        return redirect("work_queue", queue_name="new")
    return redirect("craftsman_day")


@planner_required
def work_queue(request, queue_name: str):
    search = request.GET.get("q", "")[:80]
    requests = queue.work_queue(membership=request.membership, queue=queue_name, search=search)
    # "All requests" of a contractor runs to hundreds of thousands: count no further than the
    # cap, and say there are more.
    page = UnorderedCountPaginator(requests, 25).get_page(request.GET.get("pagina"))
    # Other open jobs in the same home or building, for the whole page in one query.
    page.object_list = list(page.object_list)
    suggestions = queue.bundle_suggestions(membership=request.membership, rows=page.object_list)
    for item in page.object_list:
        item.bundle_suggestions = suggestions.get(item.pk, [])
    return render(
        request,
        "contractor/work_queue.html",
        {
            "page": page,
            "more_pages": page.paginator.count >= UnorderedCountPaginator.COUNT_CAP,
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
        "can_record": planned is not None
        and appointment_can_record(membership=membership, appointment=planned),
        "tenant": tenant,
        "is_planner": is_planner(membership),
        "reject_categories": RejectCategory.choices,
        "can_reject": repair_request_can_reject(
            membership=membership, repair_request=repair_request
        )
        and can_transition(repair_request.status, Status.REJECTED),
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


@planner_required
@require_http_methods(["GET", "POST"])
def plan_visit(request, reference: str):
    repair_request = queue.request_for_contractor(
        membership=request.membership, reference=reference
    )
    context = _request_context(repair_request, request.membership)
    if repair_request.status not in PLANNABLE_STATUSES:
        messages.warning(request, _("This request cannot be planned in its current state."))
        return redirect("contractor_request", reference=reference)
    planned = context["planned"]
    current_slot_id = planned.slot_id if planned else None
    form = PlanForm(
        request.POST or None,
        # Free dayparts of the request's area in the coming days; the planned visit's own
        # daypart too, full or not, so a craftsman can be assigned without moving the visit.
        slots=selectors.slots_free_for(
            repair_request=repair_request,
            from_now=True,
            days=selectors.PLAN_DAYS_AHEAD,
            keep_slot_id=current_slot_id,
        ),
        craftsmen=selectors.craftsmen_of(request.membership.contractor_id),
        current_slot_id=current_slot_id,
        initial={"craftsman": planned.craftsman_id, "slot": current_slot_id} if planned else {},
    )
    if request.method == "POST" and form.is_valid():
        slot, craftsman = form.cleaned_data["slot"], form.cleaned_data["craftsman"]
        try:
            if planned is not None and slot.pk == planned.slot_id:
                services.appointment_assign(
                    appointment=planned, craftsman=craftsman, actor=request.user
                )
                done = _("The visit keeps its time; the craftsman is changed.")
            else:
                services.appointment_plan(
                    repair_request=repair_request,
                    slot_id=slot.pk,
                    craftsman=craftsman,
                    actor=request.user,
                )
                done = _("The visit is planned. The tenant gets an invitation.")
        except ApplicationError as error:
            form.add_error("slot", error.message)
        else:
            messages.success(request, done)
            return redirect("contractor_request", reference=reference)
    context["form"] = form
    return render(request, "contractor/plan.html", context, status=422 if form.errors else 200)


@planner_required
@require_POST
def combine_visit(request, reference: str):
    """The planner combines the request's job with a planned visit of the same home or
    building (a bundle suggestion of the queue): it rides along on that visit, giving up a
    visit of its own. A request or visit of another contractor answers 404."""
    repair_request = queue.request_for_contractor(
        membership=request.membership, reference=reference
    )
    raw = request.POST.get("visit", "")
    if not raw.isdigit():
        raise Http404
    visit = queue.appointment_for_contractor(membership=request.membership, appointment_id=int(raw))
    try:
        appointment_join(
            repair_request=repair_request,
            visit=visit,
            actor=request.user,
            origin=Origin.PLANNER,
            move_existing=True,
        )
    except ApplicationError as error:
        messages.warning(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Combined: %(reference)s is done at the same visit, one visit instead of two. "
                "The tenant gets an invitation."
            )
            % {"reference": repair_request.reference},
        )
    back = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    return redirect("contractor_request", reference=reference)


@planner_required
@require_POST
def confirm_emergency(request, reference: str):
    repair_request = queue.request_for_contractor(
        membership=request.membership, reference=reference
    )
    services.repair_request_confirm_emergency(repair_request=repair_request, actor=request.user)
    messages.success(request, _("The emergency is confirmed: staff are not alerted."))
    return redirect("contractor_request", reference=reference)


@planner_required
@require_POST
def reject_request(request, reference: str):
    """The planner finds the request is not theirs to carry out, and says why."""
    repair_request = queue.request_for_contractor(
        membership=request.membership, reference=reference
    )
    if not repair_request_can_reject(membership=request.membership, repair_request=repair_request):
        raise Http404
    reason = request.POST.get("reason", "")[:REJECT_REASON_LENGTH]
    category = request.POST.get("category", "")
    recharge = request.POST.get("recharge") == "on"
    try:
        services.repair_request_reject(
            repair_request=repair_request,
            actor=request.user,
            reason=reason,
            category=category,
            recharge=recharge,
        )
    except (services.ReasonRequired, services.CategoryRequired) as error:
        context = _request_context(repair_request, request.membership)
        field = error.extra.get("field", "reason")
        context.update(
            reject_errors={field: error.message},
            reject_reason=reason,
            reject_category=category,
            reject_recharge=recharge,
            reject_open=True,
        )
        return render(request, "contractor/request.html", context, status=422)
    except ApplicationError as error:
        # no longer open (completed, cancelled, rejected meanwhile)
        messages.warning(request, error.message)
        return redirect("contractor_request", reference=reference)
    messages.success(
        request,
        _(
            "The request is rejected. The tenant reads your reason in the portal; a planned "
            "visit is cancelled and its daypart is free again."
        ),
    )
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
        filled = [
            (reuse_form, reuse) for reuse_form in reuses.forms if (reuse := reuse_form.as_reuse())
        ]
        try:
            services.visit_record(
                appointment=appointment,
                outcome=data["outcome"],
                reason=data.get("reason", ""),
                notes=data.get("notes", ""),
                photos=data.get("photos") or [],
                reuses=[reuse for _reuse_form, reuse in filled],
                actor=request.user,
            )
        except ApplicationError as error:
            row = error.extra.get("reuse")
            if row is not None:
                filled[row][0].add_error(error.extra.get("field"), error.message)
            else:
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
