import datetime
import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal.access import CHANGE_DEADLINE

from .notifications import daypart_label
from .photos import MAX_PHOTOS, photos_clean


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        files = (
            [f for f in (data or []) if f]
            if isinstance(data, list | tuple)
            else [data]
            if data
            else []
        )
        if not files:
            return []
        return photos_clean(files)


class CategorySearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search, for example “tap” or “door”"),
        required=False,
        max_length=80,
        widget=forms.SearchInput(attrs={"autocomplete": "off"}),
    )


PHONE = re.compile(r"^\+?[0-9][0-9 \-()]{8,18}$")


def clean_phone(value: str) -> str:
    value = value.strip()
    if value and (not PHONE.match(value) or len(re.sub(r"\D", "", value)) < 10):
        raise ValidationError(
            _("Enter a phone number of at least 10 digits, for example 06 12345678.")
        )
    return value


class SlotChoiceField(forms.ModelChoiceField):
    widget = forms.RadioSelect

    def label_from_instance(self, slot) -> str:
        return daypart_label(slot)


def fixed_once_booked_before() -> datetime.datetime:
    """A visit that starts before this could no longer be moved or cancelled by the tenant
    once booked: the choice of times marks those dayparts."""
    return timezone.now() + CHANGE_DEADLINE


class ReportForm(forms.Form):
    description = forms.CharField(
        label=_("What is wrong?"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Describe what you see, where exactly, and since when (10–2000 characters)."),
        error_messages={
            "required": _("Describe the problem, so the contractor brings the right things."),
            "min_length": _("Describe the problem in at least 10 characters."),
            "max_length": _("Keep the description to 2000 characters (now %(show_value)d)."),
        },
    )
    photos = PhotosField(
        label=_("Photos (optional)"),
        required=False,
        help_text=format_lazy(
            _("Up to {max} photos, JPEG, PNG or WebP, at most 10 MB each."), max=MAX_PHOTOS
        ),
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    access_notes = forms.CharField(
        label=_("Good to know when visiting (optional)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example a dog in the house, where a key is, or a door code."),
    )
    contact_phone = forms.CharField(
        label=_("Best phone number"),
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "inputmode": "tel"}),
        help_text=_("The contractor calls this number if something changes."),
    )
    slot = SlotChoiceField(
        label=_("When may the contractor come?"),
        queryset=None,
        empty_label=None,
        error_messages={
            "required": _("Choose when the contractor may come."),
            "invalid_choice": _("This time is no longer available. Choose another time."),
        },
    )

    # The offer to combine (repairs.bundles): the button "combine" posts the planned visit to
    # add this job to; "riders" are the tenant's open jobs that come along on the time chosen.
    combine = forms.ModelChoiceField(
        label=_("Combine with your planned visit"),
        queryset=None,
        required=False,
        widget=forms.HiddenInput,
        error_messages={
            "invalid_choice": _(
                "This visit can no longer be combined with your report. Choose a time instead."
            ),
        },
    )
    riders = forms.ModelMultipleChoiceField(
        label=_("Also do my other repair at this visit (one visit instead of two)"),
        queryset=None,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": _("This repair can no longer be added. Send the report without it."),
        },
    )

    def __init__(self, *args, slots=None, visits=None, riders=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_before = fixed_once_booked_before()
        if slots is None:
            del self.fields["slot"]
            riders = None
        else:
            self.fields["slot"].queryset = slots
        if visits is None:
            del self.fields["combine"]
        else:
            self.fields["combine"].queryset = visits
            if "slot" in self.fields:
                # combining is the other answer to "when": a time is needed only without it
                self.fields["slot"].required = False
        if riders is None:
            del self.fields["riders"]
        else:
            self.fields["riders"].queryset = riders

    def clean_contact_phone(self) -> str:
        return clean_phone(self.cleaned_data["contact_phone"])

    def clean(self):
        data = super().clean()
        if (
            "combine" in self.fields
            and "slot" in self.fields
            and not data.get("combine")
            and not data.get("slot")
            and "slot" not in self.errors
            and "combine" not in self.errors
        ):
            self.add_error("slot", self.fields["slot"].error_messages["required"])
        if data.get("combine"):
            data["slot"] = None
            data["riders"] = []
        return data


class SomethingElseForm(ReportForm):
    """A report of a defect not in the list: the description is all the contractor has."""

    description = forms.CharField(
        label=_("What is wrong, and where exactly?"),
        min_length=10,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "There is no ready-made choice for this, so tell the contractor what you see, what "
            "it is part of (a door, a pipe, a wall) and since when (10–2000 characters)."
        ),
        error_messages={
            "required": _(
                "Describe what is wrong: with “Something else” your description is all the "
                "contractor has to go on."
            ),
            "min_length": _(
                "Describe what is wrong in at least 10 characters, so the contractor knows "
                "what to bring."
            ),
            "max_length": _("Keep the description to 2000 characters (now %(show_value)d)."),
        },
    )


class EmergencyForm(forms.Form):
    description = ReportForm.base_fields["description"]
    contact_phone = ReportForm.base_fields["contact_phone"]

    def clean_contact_phone(self) -> str:
        return clean_phone(self.cleaned_data["contact_phone"])


class RescheduleForm(forms.Form):
    slot = SlotChoiceField(
        label=_("Choose a new time"),
        queryset=None,
        empty_label=None,
        error_messages={
            "required": _("Choose a new time."),
            "invalid_choice": _("This time is no longer available. Choose another time."),
        },
    )

    def __init__(self, *args, slots, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fixed_before = fixed_once_booked_before()
        self.fields["slot"].queryset = slots


class CancelForm(forms.Form):
    reason = forms.CharField(
        label=_("Why do you cancel?"),
        min_length=3,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For example: it is solved already, or I am moving."),
        error_messages={"required": _("Tell us briefly why you cancel.")},
    )
