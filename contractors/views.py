"""The planner's capacity screens: weekly schedule per area and daypart, and single days."""

import functools

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods

from . import capacity
from .models import ContractorMembership, ContractorRole, Slot, Weekday, WeeklySchedule


def planner_required(view):
    @login_required
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        membership = (
            ContractorMembership.objects.select_related("contractor")
            .filter(user=request.user, role=ContractorRole.PLANNER)
            .first()
        )
        if membership is None:
            raise Http404
        request.membership = membership
        return view(request, *args, **kwargs)

    return wrapper


class SlotCapacityForm(forms.Form):
    capacity = forms.IntegerField(
        label=gettext_lazy("Visits"),
        min_value=0,
        max_value=99,
        error_messages={"min_value": gettext_lazy("Enter 0 or more visits.")},
    )
    note = forms.CharField(label=gettext_lazy("Why (optional)"), max_length=120, required=False)


def _schedule_fields(dayparts, schedules):
    current = {(s.weekday, s.daypart_id): s.capacity for s in schedules}
    rows = []
    for weekday, label in Weekday.choices:
        cells = []
        for daypart in dayparts:
            name = f"cap_{weekday}_{daypart.pk}"
            cells.append(
                {"name": name, "daypart": daypart, "value": current.get((weekday, daypart.pk), 0)}
            )
        rows.append({"weekday": label, "cells": cells})
    return rows


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
    errors: dict[str, str] = {}
    rows = _schedule_fields(dayparts, schedules)
    if request.method == "POST":
        values = {}
        for row_index, (weekday, _label) in enumerate(Weekday.choices):
            for cell in rows[row_index]["cells"]:
                raw = request.POST.get(cell["name"], "").strip() or "0"
                cell["value"] = raw
                if not raw.isdigit() or int(raw) > 99:
                    errors[cell["name"]] = _("Enter a whole number from 0 to 99.")
                    continue
                values[(weekday, cell["daypart"].pk)] = int(raw)
        if not errors:
            result = capacity.weekly_schedule_set(
                contractor_id=membership.contractor_id, area=area, capacities=values
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
    slots = capacity.slot_overview(
        contractor_id=membership.contractor_id, area=area, start=timezone.localdate()
    )
    return render(
        request,
        "contractor/capacity_area.html",
        {
            "area": area,
            "dayparts": dayparts,
            "rows": rows,
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
