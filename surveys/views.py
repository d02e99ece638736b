"""The survey page: reached by the link's token, no login."""

from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from .forms import SurveyForm
from .services import SurveyUnavailable, survey_answer, survey_invitation_for_token


@require_http_methods(["GET", "POST"])
def survey_answer_view(request, token: str):
    try:
        invitation = survey_invitation_for_token(token)
    except SurveyUnavailable as error:
        return render(
            request,
            "surveys/unavailable.html",
            {"message": error.message, "reason": error.extra["reason"]},
            status=404 if error.extra["reason"] == "unknown" else 410,
        )
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            survey_answer(token=token, **form.cleaned_data)
        except SurveyUnavailable as error:
            return render(
                request,
                "surveys/unavailable.html",
                {"message": error.message, "reason": error.extra["reason"]},
                status=410,
            )
        return redirect("survey_thanks")
    return render(
        request,
        "surveys/answer.html",
        {"form": form, "invitation": invitation, "repair": invitation.request},
        status=422 if form.errors else 200,
    )


def survey_thanks(request):
    return render(request, "surveys/thanks.html")
