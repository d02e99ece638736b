"""The planner's capacity forms: one daypart, and the weekly schedule of an area."""

from django import forms
from django.core.exceptions import ValidationError
from django.forms.formsets import (
    INITIAL_FORM_COUNT,
    MAX_NUM_FORM_COUNT,
    MIN_NUM_FORM_COUNT,
    TOTAL_FORM_COUNT,
    ManagementForm,
)
from django.utils.translation import gettext_lazy

from .models import Daypart, Weekday


class SlotCapacityForm(forms.Form):
    capacity = forms.IntegerField(
        label=gettext_lazy("Visits"),
        min_value=0,
        max_value=99,
        error_messages={"min_value": gettext_lazy("Enter 0 or more visits.")},
    )
    note = forms.CharField(label=gettext_lazy("Why (optional)"), max_length=120, required=False)


class VisitsField(forms.CharField):
    """A number of visits from 0 to 99, in digits; left empty it is 0. Shown again as typed
    (without spaces), an empty cell as 0."""

    default_error_messages = {"invalid": gettext_lazy("Enter a whole number from 0 to 99.")}

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value) -> int:
        text = super().to_python(value) or "0"
        if not (text.isascii() and text.isdigit()) or int(text) > 99:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)

    def bound_data(self, data, initial):
        return (data or "").strip() or "0"


class WeekdayScheduleForm(forms.Form):
    """One weekday of the schedule: a number of visits per daypart of the contractor. Its
    fields are named ``cap_<weekday>_<daypart id>``."""

    def __init__(self, *args, dayparts: list[Daypart], **kwargs):
        super().__init__(*args, **kwargs)
        for daypart in dayparts:
            self.fields[str(daypart.pk)] = VisitsField(label=daypart.get_kind_display())

    def add_prefix(self, field_name: str) -> str:
        return f"{self.prefix}_{field_name}"


class BaseWeeklyScheduleFormSet(forms.BaseFormSet):
    """The weekly schedule of an area: a form per weekday, Monday first. The grid always has
    all seven days, so the page posts no management form: its counts are fixed here."""

    prefix = "cap"

    def __init__(self, *args, dayparts: list[Daypart], schedules=(), **kwargs):
        self.dayparts = list(dayparts)
        current = {(s.weekday, s.daypart_id): s.capacity for s in schedules}
        initial = [
            {str(daypart.pk): current.get((weekday, daypart.pk), 0) for daypart in self.dayparts}
            for weekday in Weekday.values
        ]
        super().__init__(*args, initial=initial, prefix=self.prefix, **kwargs)

    @property
    def management_form(self) -> ManagementForm:
        days = len(Weekday.values)
        counts = {
            TOTAL_FORM_COUNT: days,
            INITIAL_FORM_COUNT: days,
            MIN_NUM_FORM_COUNT: days,
            MAX_NUM_FORM_COUNT: days,
        }
        form = ManagementForm(
            {f"{self.prefix}-{name}": count for name, count in counts.items()},
            auto_id=self.auto_id,
            prefix=self.prefix,
            renderer=self.renderer,
        )
        form.full_clean()
        return form

    def add_prefix(self, index) -> str:
        # `index` is "__prefix__" for the (unused) empty form
        return f"{self.prefix}_{Weekday.values[index] if isinstance(index, int) else index}"

    def get_form_kwargs(self, index):
        return {"dayparts": self.dayparts}

    def rows(self) -> list[dict]:
        """The grid to show: per weekday its label and a cell per daypart, each with the
        field's name, the daypart, the value to show and its error, if any."""
        rows = []
        for (_weekday, label), form in zip(Weekday.choices, self.forms, strict=True):
            cells = []
            for daypart in self.dayparts:
                field = form[str(daypart.pk)]
                cells.append(
                    {
                        "name": field.html_name,
                        "daypart": daypart,
                        "value": field.value(),
                        "error": field.errors[0] if field.errors else "",
                    }
                )
            rows.append({"weekday": label, "cells": cells})
        return rows

    def errors_by_name(self) -> dict[str, str]:
        """The first error of each refused cell, by the field's name."""
        return {
            cell["name"]: cell["error"]
            for row in self.rows()
            for cell in row["cells"]
            if cell["error"]
        }

    def capacities(self) -> dict[tuple[int, int], int]:
        """The valid schedule, as visits per (weekday, daypart id)."""
        return {
            (weekday, daypart.pk): form.cleaned_data[str(daypart.pk)]
            for weekday, form in zip(Weekday.values, self.forms, strict=True)
            for daypart in self.dayparts
        }


WeeklyScheduleFormSet = forms.formset_factory(
    WeekdayScheduleForm, formset=BaseWeeklyScheduleFormSet, extra=0
)
