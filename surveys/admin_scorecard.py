"""The area scorecards in the admin: the list is this quarter's contracts of the staff
user's association(s), each with its figures at a glance; a contract's page is its
scorecard with a choice of quarter or year, and its CSV and PDF."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from contractors.fees import period_bounds
from contractors.models import PeriodKind
from portal.db_router import reporting_reads
from portal.scoping import OrganisationScopedAdmin, organisation_scope

from .models import ContractScorecard
from .scorecard import contract_scorecards, current_period
from .scorecard_views import (
    filename_for,
    period_choices,
    period_from_request,
    scorecard_csv,
    scorecard_pdf,
)

# Figures shown in the list, the rest on the contract's page.
LIST_FIGURES = ("mean_grade", "first_time_fix", "repair_within_norm", "sroi")


@admin.register(ContractScorecard)
class ContractScorecardAdmin(OrganisationScopedAdmin):
    list_display = ["contract_display", "period", "figures", "statuses"]
    list_display_links = ["contract_display"]
    list_select_related = ["contractor", "area", "organisation"]
    list_filter = ["contractor", "area"]
    search_fields = ["contractor__name", "area__name"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        """The contracts that run in this quarter."""
        start, end = period_bounds(PeriodKind.QUARTER, timezone.localdate())
        return (
            super()
            .get_queryset(request)
            .filter(valid_from__lte=end)
            .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=start))
        )

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)
        changelist = getattr(response, "context_data", {}).get("cl")
        if changelist is not None:
            year, quarter = current_period(timezone.localdate())
            with reporting_reads():
                cards = contract_scorecards(
                    organisation_ids=organisation_scope(request.user),
                    year=year,
                    quarter=quarter,
                    contract_ids=[contract.pk for contract in changelist.result_list],
                )
            request.scorecards = {card.contract.pk: card for card in cards}
        return response

    def _card(self, request, obj):
        return getattr(request, "scorecards", {}).get(obj.pk)

    @admin.display(description=gettext_lazy("contract"))
    def contract_display(self, obj):
        return f"{obj.contractor.name} – {obj.area.name}"

    @admin.display(description=gettext_lazy("period"))
    def period(self, obj):
        year, quarter = current_period(timezone.localdate())
        return f"{year} Q{quarter}"

    def get_list_display(self, request):
        self._request = request
        return super().get_list_display(request)

    @admin.display(description=gettext_lazy("figures"))
    def figures(self, obj):
        card = self._card(self._request, obj)
        if card is None:
            return "–"
        return format_html_join(
            " · ",
            "{}: {} ({})",
            (
                (figure.label, figure.display, figure.status_text)
                for figure in card.figures
                if figure.key in LIST_FIGURES
            ),
        )

    @admin.display(description=gettext_lazy("on target"))
    def statuses(self, obj):
        card = self._card(self._request, obj)
        if card is None:
            return "–"
        counts = dict.fromkeys(("green", "amber", "red"), 0)
        for figure in card.figures:
            if figure.status in counts:
                counts[figure.status] += 1
        return format_html(
            "{} {} · {} {} · {} {}",
            counts["green"],
            _("on target"),
            counts["amber"],
            _("just off"),
            counts["red"],
            _("off target"),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        contract = self.get_object(request, object_id)  # 404 outside the user's scope
        today = timezone.localdate()
        year, quarter, code, error = period_from_request(request, today)
        with reporting_reads():
            cards = contract_scorecards(
                organisation_ids=organisation_scope(request.user),
                year=year,
                quarter=quarter,
                contract_ids=[contract.pk],
            )
        fmt = request.GET.get("format")
        if fmt == "csv" and cards:
            return scorecard_csv(cards, filename_for(cards, code, "csv"))
        if fmt == "pdf" and cards:
            return scorecard_pdf(cards, filename_for(cards, code, "pdf"), _("Area scorecard"))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Area scorecard"),
            "subtitle": f"{contract.contractor.name} – {contract.area.name}",
            "opts": self.model._meta,
            "original": contract,
            "cards": cards,
            "choices": period_choices(today),
            "period_code": code,
            "error": error,
            "changelist_url": reverse("admin:surveys_contractscorecard_changelist"),
        }
        return TemplateResponse(request, "admin/surveys/scorecard.html", context)
