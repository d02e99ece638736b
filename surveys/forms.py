from django import forms
from django.utils.translation import gettext_lazy as _

GRADES = [(str(n), str(n)) for n in range(1, 11)]
YES_NO = [("yes", _("Yes")), ("no", _("No")), ("", _("Don't know"))]


class GradeField(forms.TypedChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(
            choices=GRADES,
            coerce=int,
            widget=forms.RadioSelect(attrs={"class": "grade"}),
            error_messages={
                "required": _("Choose a grade from 1 to 10."),
                "invalid_choice": _("A grade is a whole number from 1 to 10."),
            },
            **kwargs,
        )


class YesNoField(forms.TypedChoiceField):
    def __init__(self, **kwargs) -> None:
        super().__init__(
            choices=YES_NO,
            coerce=lambda value: {"yes": True, "no": False}.get(value),
            empty_value=None,
            required=False,
            widget=forms.RadioSelect,
            **kwargs,
        )


class SurveyForm(forms.Form):
    # Asked first: "No" sends the repair back to the contractor (repair_request_reopen).
    problem_solved = YesNoField(
        label=_("Is the problem solved?"),
        help_text=_(
            "If you answer No, the repair goes back to the contractor, who will make a new "
            "appointment with you. The contractor then learns that this repair is not solved, "
            "but not your grades or your comment."
        ),
    )
    still_wrong = forms.CharField(
        label=_("If not: what is still wrong? (optional; the contractor reads this)"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"max_length": _("Keep it to 1000 characters (now %(show_value)d).")},
    )
    overall_grade = GradeField(
        label=_("What grade do you give the repair as a whole? (1 = very bad, 10 = excellent)")
    )
    fixed_first_time = YesNoField(label=_("Was it fixed in one visit?"))
    on_time = YesNoField(label=_("Did they come at the agreed time?"))
    craftsman_grade = GradeField(
        label=_("What grade do you give the craftsman? (optional)"), required=False
    )
    comment = forms.CharField(
        label=_("Anything you want to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"max_length": _("Keep it to 2000 characters (now %(show_value)d).")},
    )
    may_contact = forms.BooleanField(
        label=_("I give permission for the housing association to contact me about this answer."),
        required=False,
        help_text=_(
            "Without this permission your answer stays anonymous: the housing association "
            "sees your grades and comment with the contractor, the area and the month, but "
            "not who you are, your address or which repair it was. If you give a 5 or lower, "
            "we only contact you about it when you tick this box."
        ),
    )

    def clean_craftsman_grade(self):
        value = self.cleaned_data.get("craftsman_grade")
        return value if value not in ("", None) else None
