from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import F
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from contractors.models import Area, Contractor
from portal.db_router import reporting_reads
from portal.downloads import csv_response
from portal.scoping import (
    OrganisationScopedAdmin,
    organisation_scope,
    reach_queryset,
    scope_queryset,
)
from portal.search import normalise_term
from repairs.admin import RequestChildAdminMixin

from . import services
from .charts import kpi_charts
from .kpis import kpi_rollup_rows, months_back, visits_saved_rows
from .models import FollowUp, KpiDashboard, SurveyInvitation, SurveyResponse


class ReadOnlyAdmin(OrganisationScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(RequestChildAdminMixin, ReadOnlyAdmin):
    list_display = ["request", "status", "due_at", "sent_at", "reminder_sent_at", "contractor"]
    # recent periods, not a date hierarchy that reads every invitation for its years
    list_filter = ["status", "contractor", ("due_at", admin.DateFieldListFilter)]
    list_select_related = ["request", "contractor"]
    search_fields = ["=request__reference"]
    exclude = ["token"]


class AnonymousUnlessConsentMixin:
    """A tenant's answer names the tenant only when they ticked consent (the Aedes rule the
    survey form promises). Without it, every admin user sees the grades and comment with the
    contractor, area and month: no request, address, tenant or exact date, and the search by
    request reference does not find it. Decided per row here, not in a template."""

    request_path = "invitation__request"
    # Shown for every answer.
    anonymous_fields = [
        "overall_grade",
        "craftsman_grade",
        "fixed_first_time",
        "on_time",
        "comment",
        "may_contact",
        "contact",
        "contractor",
        "area",
        "answered_month",
    ]
    # Shown only when the tenant agreed to be contacted.
    consented_fields = ["request_reference", "answered_at"]

    def get_fields(self, request, obj=None):
        if obj is not None and obj.may_contact:
            return [*self.consented_fields, *self.anonymous_fields]
        return list(self.anonymous_fields)

    def get_readonly_fields(self, request, obj=None):
        return self.get_fields(request, obj)

    def get_search_results(self, request, queryset, search_term):
        queryset, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if normalise_term(search_term):
            # Found by its request only if the tenant may be known.
            queryset = queryset.filter(may_contact=True)
        return queryset, may_have_duplicates

    @admin.display(description=gettext_lazy("request"))
    def request_reference(self, obj: SurveyResponse) -> str:
        if not obj.may_contact:
            return _("Anonymous")
        repair_request = obj.invitation.request
        return f"{repair_request.reference} – {repair_request.dwelling.address_line}"

    @admin.display(description=gettext_lazy("contact"))
    def contact(self, obj: SurveyResponse) -> str:
        if not obj.may_contact:
            return _("No consent to contact")
        return obj.contact_details()

    @admin.display(description=gettext_lazy("month"), ordering="answered_at")
    def answered_month(self, obj: SurveyResponse) -> str:
        return formats.date_format(timezone.localtime(obj.answered_at), "F Y")


@admin.register(SurveyResponse)
class SurveyResponseAdmin(AnonymousUnlessConsentMixin, RequestChildAdminMixin, ReadOnlyAdmin):
    list_display = [
        "request_reference",
        "overall_grade",
        "craftsman_grade",
        "fixed_first_time",
        "on_time",
        "may_contact",
        "contractor",
        "area",
        "answered_month",
    ]
    # No filter by day: with a day, contractor and area a grade points at one visit.
    list_filter = ["overall_grade", "contractor", "area", "may_contact"]
    list_select_related = ["invitation__request__dwelling", "contractor", "area"]
    search_fields = ["=invitation__request__reference"]
    search_help_text = gettext_lazy(
        "A request reference: finds only answers of tenants who agreed to be contacted."
    )


class HandledFilter(admin.SimpleListFilter):
    """Grades still to follow up, or those handled (the staff's start page links to "open")."""

    title = gettext_lazy("follow-up")
    parameter_name = "handled"

    def lookups(self, request, model_admin):
        return [("open", gettext_lazy("Not handled yet")), ("done", gettext_lazy("Handled"))]

    def queryset(self, request, queryset):
        if self.value() == "open":
            return queryset.filter(follow_up_handled_at__isnull=True)
        if self.value() == "done":
            return queryset.filter(follow_up_handled_at__isnull=False)
        return queryset


@admin.register(FollowUp)
class FollowUpAdmin(AnonymousUnlessConsentMixin, RequestChildAdminMixin, OrganisationScopedAdmin):
    """Grades of 5 or lower, newest unhandled first; who answered only with consent."""

    list_display = [
        "request_reference",
        "overall_grade",
        "comment",
        "contractor",
        "contact",
        "answered_month",
        "follow_up_handled_at",
    ]
    list_filter = [HandledFilter, "contractor", "area"]
    search_fields = ["=invitation__request__reference"]
    search_help_text = SurveyResponseAdmin.search_help_text
    list_select_related = [
        "contractor",
        "invitation__request__reported_by",
        "invitation__request__dwelling",
    ]
    anonymous_fields = [
        *AnonymousUnlessConsentMixin.anonymous_fields,
        "follow_up_handled_at",
        "follow_up_handled_by",
    ]
    actions = ["mark_handled"]
    # Open ones first, newest first. Set here, not in get_queryset: the change list puts the
    # model's ordering (-answered_at) before a queryset's. nulls_first: PostgreSQL sorts NULL
    # last by default, SQLite first.
    ordering = [F("follow_up_handled_at").asc(nulls_first=True), "-answered_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(overall_grade__lte=services.FOLLOW_UP_GRADE)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=gettext_lazy("Mark as handled"))
    def mark_handled(self, request, queryset):
        count = services.follow_up_mark_handled(
            response_ids=list(queryset.values_list("pk", flat=True)), actor=request.user
        )
        self.message_user(
            request,
            ngettext(
                "%(count)d grade marked as handled.", "%(count)d grades marked as handled.", count
            )
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(KpiDashboard)
class KpiDashboardAdmin(OrganisationScopedAdmin):
    """KPIs per month, contractor and area, for the staff user's association(s). The list
    page is the dashboard; there is no page of a single row (it would show an answer)."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def change_view(self, request, object_id, form_url="", extra_context=None):
        raise Http404

    def history_view(self, request, object_id, extra_context=None):
        raise Http404

    def delete_view(self, request, object_id, extra_context=None):
        raise Http404

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        organisation_ids = organisation_scope(request.user)
        months = request.GET.get("months", "12")
        months = int(months) if months in {"3", "6", "12", "24"} else 12
        start, end = months_back(timezone.localdate(), months)
        contractors = reach_queryset(Contractor.objects.order_by("name"), request)
        areas = scope_queryset(Area.objects.order_by("name"), request)
        contractor_id = _int(request.GET.get("contractor"), {c.pk for c in contractors})
        area_id = _int(request.GET.get("area"), {a.pk for a in areas})
        with reporting_reads():
            rows = kpi_rollup_rows(
                organisation_ids=organisation_ids,
                start=start,
                end=end,
                contractor_id=contractor_id,
                area_id=area_id,
            )
        if request.GET.get("format") == "csv":
            return csv_response(filename="kpi.csv", columns=CSV_COLUMNS, rows=rows)
        with reporting_reads():
            charts = kpi_charts(
                rows=rows,
                start=start,
                end=end,
                organisation_ids=organisation_ids,
                contractor_id=contractor_id,
                area_id=area_id,
            )
        with reporting_reads():
            # riders of combined visits per month, contractor and association
            visits_saved = visits_saved_rows(
                organisation_ids=organisation_ids,
                start=start,
                end=end,
                contractor_id=contractor_id,
                area_id=area_id,
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("KPI dashboard"),
            "opts": self.model._meta,
            "rows": rows,
            "months": months,
            "contractors": contractors,
            "areas": areas,
            "contractor_id": contractor_id,
            "area_id": area_id,
            "charts": charts,
            "visits_saved": visits_saved,
            "query": request.GET.urlencode(),
        }
        return TemplateResponse(request, "admin/surveys/kpi_dashboard.html", context)


def _int(raw: str | None, allowed: set[int]) -> int | None:
    return int(raw) if raw and raw.isdigit() and int(raw) in allowed else None


CSV_COLUMNS = [
    ("month", lambda r: r.month.strftime("%Y-%m")),
    ("contractor", lambda r: r.contractor),
    ("area", lambda r: r.area),
    ("completed", lambda r: r.completed),
    ("mean_grade", lambda r: r.mean_grade_rounded),
    ("share_8_plus_pct", lambda r: r.share_8_plus),
    ("share_5_or_lower_pct", lambda r: r.share_5_or_lower),
    ("responses", lambda r: r.responses),
    ("invitations_sent", lambda r: r.invitations_sent),
    ("response_rate_pct", lambda r: r.response_rate),
    ("first_time_fix_pct", lambda r: r.first_time_fix_rate),
    ("lead_time_median_h", lambda r: r.lead_median_hours),
    ("lead_time_p90_h", lambda r: r.lead_p90_hours),
    ("emergencies", lambda r: r.emergencies),
    ("emergencies_within_24h_pct", lambda r: r.emergency_rate),
    ("visits_due", lambda r: r.visits_due),
    ("appointments_kept_pct", lambda r: r.kept_rate),
    ("no_access_visits", lambda r: r.no_access_visits),
]


# The area scorecards' screen (its own module: the admin of contracts seen by their figures).
from . import admin_scorecard  # noqa: E402, F401
