"""The survey page: reached by the link's token, no login."""

from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from contractors.access import planner_required
from portal.db_router import reporting_reads
from portal.scoping import ALL_ASSOCIATIONS

from .charts import kpi_charts
from .forms import SurveyForm
from .kpis import kpi_rollup_rows, months_back
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
            response = survey_answer(token=token, **form.cleaned_data)
        except SurveyUnavailable as error:
            return render(
                request,
                "surveys/unavailable.html",
                {"message": error.message, "reason": error.extra["reason"]},
                status=410,
            )
        if response.problem_solved is False:
            return redirect(f"{reverse('survey_thanks')}?opnieuw=1")
        return redirect("survey_thanks")
    return render(
        request,
        "surveys/answer.html",
        {"form": form, "invitation": invitation, "repair": invitation.request},
        status=422 if form.errors else 200,
    )


def survey_thanks(request):
    return render(request, "surveys/thanks.html", {"reopened": request.GET.get("opnieuw") == "1"})


@planner_required
def contractor_kpis(request):
    """A contractor's own figures across its associations; no other contractor's, no tenants."""
    membership = request.membership
    start, end = months_back(timezone.localdate(), 12)
    with reporting_reads():
        rows = kpi_rollup_rows(
            # the contractor's own rows, in every association it works for
            organisation_ids=ALL_ASSOCIATIONS,
            start=start,
            end=end,
            contractor_id=membership.contractor_id,
        )
        charts = kpi_charts(
            rows=rows,
            start=start,
            end=end,
            organisation_ids=ALL_ASSOCIATIONS,
            contractor_id=membership.contractor_id,
        )
    return render(
        request,
        "surveys/contractor_kpis.html",
        {"rows": rows, "contractor": membership.contractor, "charts": charts},
    )
