"""The planner's capacity screens: weekly schedule per area and daypart, and single days."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from . import capacity
from .access import planner_required
from .forms import SlotCapacityForm, WeeklyScheduleFormSet
from .models import Slot, WeeklySchedule


@planner_required
def capacity_overview(request):
    areas = list(
        capacity.areas_of(
            contractor_id=request.membership.contractor_id, on_date=timezone.localdate()
        )
    )
    if len(areas) == 1:
        return redirect("capacity_area", area_id=areas[0].pk)
    return render(request, "contractor/capacity_overview.html", {"areas": areas})


@planner_required
@require_http_methods(["GET", "POST"])
def capacity_area(request, area_id: int):
    membership = request.membership
    area = capacity.area_for_planner(membership=membership, area_id=area_id)
    dayparts = capacity.dayparts_of(contractor_id=membership.contractor_id)
    schedules = WeeklySchedule.objects.filter(contractor_id=membership.contractor_id, area=area)
    formset = WeeklyScheduleFormSet(
        request.POST if request.method == "POST" else None,
        dayparts=dayparts,
        schedules=schedules,
    )
    if request.method == "POST" and formset.is_valid():
        result = capacity.weekly_schedule_set(
            contractor_id=membership.contractor_id, area=area, capacities=formset.capacities()
        )
        messages.success(request, _("The weekly schedule is saved."))
        if result["kept"]:
            messages.warning(
                request,
                ngettext(
                    "%(count)d coming daypart has more bookings than the new number and "
                    "keeps its size; move visits first to shrink it.",
                    "%(count)d coming dayparts have more bookings than the new number and "
                    "keep their size; move visits first to shrink them.",
                    result["kept"],
                )
                % {"count": result["kept"]},
            )
        return redirect("capacity_area", area_id=area.pk)
    errors = formset.errors_by_name() if formset.is_bound else {}
    slots = capacity.slot_overview(
        contractor_id=membership.contractor_id, area=area, start=timezone.localdate()
    )
    return render(
        request,
        "contractor/capacity_area.html",
        {
            "area": area,
            "dayparts": dayparts,
            "rows": formset.rows(),
            "errors": errors,
            "slots": slots,
        },
        status=422 if errors else 200,
    )


@planner_required
@require_http_methods(["GET", "POST"])
def slot_edit(request, slot_id: int):
    membership = request.membership
    slot = (
        Slot.objects.select_related("area", "daypart")
        .filter(pk=slot_id, contractor_id=membership.contractor_id)
        .first()
    )
    if slot is None:
        raise Http404
    capacity.area_for_planner(membership=membership, area_id=slot.area_id)
    form = SlotCapacityForm(
        request.POST or None, initial={"capacity": slot.capacity, "note": slot.note}
    )
    blocking = []
    if request.method == "POST" and form.is_valid():
        try:
            capacity.slot_capacity_set(
                slot_id=slot.pk,
                contractor_id=membership.contractor_id,
                capacity=form.cleaned_data["capacity"],
                note=form.cleaned_data["note"],
            )
        except capacity.CapacityBelowBooked as error:
            form.add_error("capacity", error.message)
            blocking = error.extra.get("visits", [])
        else:
            messages.success(request, _("The daypart is changed."))
            return redirect("capacity_area", area_id=slot.area_id)
    return render(
        request,
        "contractor/slot_edit.html",
        {"slot": slot, "form": form, "blocking": blocking},
        status=422 if form.errors else 200,
    )
