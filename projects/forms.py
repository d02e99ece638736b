from django import forms
from django.utils.translation import gettext_lazy as _

from repairs.notifications import daypart_label

from .models import ResponseKind
from .services import RESPONSE_LENGTH


class ReservationChoiceField(forms.ModelChoiceField):
    widget = forms.RadioSelect

    def label_from_instance(self, reservation) -> str:
        return daypart_label(reservation.slot)


class ProjectBookForm(forms.Form):
    reservation = ReservationChoiceField(
        label=_("Choose a time for the visit"),
        queryset=None,
        empty_label=None,
        error_messages={
            "required": _("Choose a time for the visit."),
            "invalid_choice": _("This time is no longer available. Choose another time."),
        },
    )

    def __init__(self, *args, reservations, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reservation"].queryset = reservations


class ProjectRespondForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What do you want to tell us?"),
        choices=ResponseKind.choices,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose whether you have a question or an objection.")},
    )
    text = forms.CharField(
        label=_("Your question or objection"),
        max_length=RESPONSE_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The housing association reads it and contacts you."),
        error_messages={
            "required": _("Write your question or objection, so that we can answer it.")
        },
    )
