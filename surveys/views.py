"""The survey page: reached by the link's token, no login."""

from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from contractors.access import planner_required
from portal.db_router import reporting_reads
from portal.scoping import ALL_ASSOCIATIONS

from .charts import kpi_charts
from .forms import SurveyForm
from .kpis import kpi_rollup_rows, months_back
from .scorecard import contract_scorecards
from .scorecard_views import (
    filename_for,
    period_choices,
    period_from_request,
    scorecard_csv,
    scorecard_pdf,
)
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


def _contractor_scorecards_page(request, contract_id: int | None):
    """The scorecards of the contractor's own contracts, in every association it works for;
    a contract of another contractor is not found."""
    membership = request.membership
    today = timezone.localdate()
    year, quarter, code, error = period_from_request(request, today)
    with reporting_reads():
        cards = contract_scorecards(
            organisation_ids=ALL_ASSOCIATIONS,
            year=year,
            quarter=quarter,
            contractor_id=membership.contractor_id,
            contract_ids=None if contract_id is None else [contract_id],
        )
    if contract_id is not None and not cards:
        raise Http404
    for card in cards:
        card.url = reverse("contractor_scorecard", args=[card.contract.pk])
    fmt = request.GET.get("format")
    if fmt == "csv":
        return scorecard_csv(cards, filename_for(cards, code, "csv"))
    if fmt == "pdf" and cards:
        return scorecard_pdf(cards, filename_for(cards, code, "pdf"), _("Area scorecard"))
    return render(
        request,
        "surveys/contractor_scorecards.html",
        {
            "cards": cards,
            "contractor": membership.contractor,
            "choices": period_choices(today),
            "period_code": code,
            "error": error,
            "links": contract_id is None and len(cards) > 1,
            "single": contract_id is not None,
        },
    )


@planner_required
def contractor_scorecards(request):
    return _contractor_scorecards_page(request, None)


@planner_required
def contractor_scorecard(request, contract_id: int):
    return _contractor_scorecards_page(request, contract_id)
