from django import forms
from django.utils.translation import gettext_lazy as _

from . import vera
from .forms import MultipleFileInput, PhotosField, SlotChoiceField
from .models import ReuseSource, VisitOutcome
from .notifications import daypart_label
from .services.visits import FOLLOW_UP_REASONS


class PlanForm(forms.Form):
    slot = SlotChoiceField(
        label=_("Daypart"),
        queryset=None,
        empty_label=None,
        error_messages={
            "required": _("Choose a daypart."),
            "invalid_choice": _("This daypart is no longer free. Choose another."),
        },
    )
    craftsman = forms.ModelChoiceField(
        label=_("Craftsman"), queryset=None, required=False, empty_label=_("Not assigned yet")
    )

    def __init__(self, *args, slots, craftsmen, current_slot_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots
        self.fields["slot"].label_from_instance = lambda slot: (
            _("%(daypart)s – the current time") % {"daypart": daypart_label(slot)}
            if slot.pk == current_slot_id
            else daypart_label(slot)
        )
        self.fields["craftsman"].queryset = craftsmen
        self.fields["craftsman"].label_from_instance = lambda user: (
            user.get_full_name() or user.email
        )


def _reason_choices() -> list[tuple[str, str]]:
    names = vera.codes(vera.TASK_DETAIL_STATUS)
    return [("", _("Choose a reason"))] + [
        (code, f"{code} – {names.get(code, code)}") for code in FOLLOW_UP_REASONS
    ]


class VisitRecordForm(forms.Form):
    outcome = forms.ChoiceField(
        label=_("Outcome of the visit"),
        choices=VisitOutcome.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose the outcome of the visit.")},
    )
    reason = forms.ChoiceField(
        label=_("Why is another visit needed?"),
        choices=_reason_choices,
        required=False,
        help_text=_("Only for “Follow-up needed”."),
    )
    notes = forms.CharField(
        label=_("Notes (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    photos = PhotosField(
        label=_("Photos after the work (optional)"),
        required=False,
        widget=MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("outcome") == VisitOutcome.FOLLOW_UP
            and not cleaned.get("reason")
            and "reason" not in self.errors
        ):
            self.add_error("reason", _("Choose why another visit is needed."))
        return cleaned


class ReuseForm(forms.Form):
    description = forms.CharField(label=_("Material reused"), max_length=200, required=False)
    quantity = forms.DecimalField(
        label=_("Quantity"), min_value=0.01, max_digits=8, decimal_places=2, required=False
    )
    source = forms.ChoiceField(
        label=_("From"), choices=[("", "—"), *ReuseSource.choices], required=False
    )
    source_reference = forms.CharField(
        label=_("VHE number of the vacant dwelling"), max_length=30, required=False
    )
    estimated_value = forms.DecimalField(
        label=_("Estimated value (€)"), min_value=0, max_digits=10, decimal_places=2, required=False
    )

    def clean(self):
        cleaned = super().clean()
        filled = any(cleaned.get(name) for name in ("description", "quantity", "source"))
        if not filled and not self.errors:
            return cleaned
        for name in ("description", "quantity", "source"):
            # a field refused already says so once
            if not cleaned.get(name) and name not in self.errors:
                self.add_error(name, _("Fill this in too, or leave the whole row empty."))
        if cleaned.get("source") == ReuseSource.VACANT_DWELLING and not cleaned.get(
            "source_reference"
        ):
            self.add_error("source_reference", _("Give the VHE number of the vacant dwelling."))
        return cleaned

    def as_reuse(self) -> dict | None:
        data = self.cleaned_data
        if not data or not data.get("description"):
            return None
        return {
            "description": data["description"],
            "quantity": data["quantity"],
            "source": data["source"],
            "source_reference": data.get("source_reference") or "",
            "estimated_value": data.get("estimated_value") or 0,
        }


ReuseFormSet = forms.formset_factory(ReuseForm, extra=3, max_num=10)
