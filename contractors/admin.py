from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms.models import BaseInlineFormSet
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.admin import PostcodeInputMixin, SuperuserOnlyAdmin
from portal.db_router import reporting_reads
from portal.downloads import csv_response
from portal.errors import ApplicationError
from portal.models import Organisation
from portal.scoping import (
    GlobalReferenceAdmin,
    OrganisationScopedAdmin,
    ReadOnlyTabularInline,
    ScopedTabularInline,
    filter_by_scope,
    organisation_scope,
)

from . import fees, sroi
from .models import (
    TARGET_FIELDS,
    Area,
    Contract,
    Contractor,
    ContractorMembership,
    ContractTypeFee,
    Daypart,
    FeeStatement,
    FeeStatementLine,
    PeriodKind,
    PostcodeRule,
    Slot,
    SroiContribution,
    WeeklySchedule,
)


@admin.register(Contractor)
class ContractorAdmin(GlobalReferenceAdmin):
    """Contractors are a directory shared by all associations (a contractor serves several):
    staff may look them up and pick them for a contract; only superusers change them. List
    filters of an association's screens offer only the contractors it holds contracts with."""

    organisation_reach = "contracts__organisation"
    list_display = ["name", "kvk_number", "contact_name", "email", "phone"]
    search_fields = ["name", "=kvk_number"]
    show_full_result_count = False


@admin.register(ContractorMembership)
class ContractorMembershipAdmin(SuperuserOnlyAdmin):
    list_display = ["user", "contractor", "role"]
    list_select_related = ["user", "contractor"]
    list_filter = ["role", "contractor"]
    autocomplete_fields = ["user", "contractor"]
    search_fields = ["user__email", "contractor__name"]


class PostcodeRuleFormSet(BaseInlineFormSet):
    """Rules entered together must not overlap each other either."""

    def clean(self) -> None:
        super().clean()
        rules = [
            form.instance
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE") and not form.errors
        ]
        for index, rule in enumerate(rules):
            for other in rules[index + 1 :]:
                if rule.overlaps(other):
                    raise ValidationError(
                        _("Rules %(first)s and %(second)s overlap.")
                        % {"first": rule, "second": other}
                    )


class PostcodeRuleInline(PostcodeInputMixin, ScopedTabularInline):
    model = PostcodeRule
    formset = PostcodeRuleFormSet
    fields = ["range_start", "range_end", "postcode"]
    extra = 1


@admin.register(Area)
class AreaAdmin(OrganisationScopedAdmin):
    list_display = ["name", "organisation"]
    list_filter = ["organisation"]
    list_select_related = ["organisation"]
    search_fields = ["name"]
    inlines = [PostcodeRuleInline]


@admin.register(PostcodeRule)
class PostcodeRuleAdmin(PostcodeInputMixin, OrganisationScopedAdmin):
    list_display = ["__str__", "area", "range_start", "range_end", "postcode"]
    list_filter = ["area"]
    list_select_related = ["area"]
    search_fields = ["postcode", "area__name"]
    fields = ["organisation", "area", "range_start", "range_end", "postcode"]
    autocomplete_fields = ["area"]


class ContractTypeFeeInline(ScopedTabularInline):
    model = ContractTypeFee
    fields = ["dwelling_type", "fee_per_dwelling_year"]
    extra = 0


NORM_FIELDS = ("emergency_on_site_hours", "appointment_working_days", "completion_working_days")


class ContractAdminForm(forms.ModelForm):
    """A norm time left empty takes the default of Dutch practice (the field's default)."""

    class Meta:
        model = Contract
        fields = (
            "organisation",
            "contractor",
            "area",
            "valid_from",
            "valid_until",
            "fee_per_dwelling_year",
            "sroi_pledge_percent",
            *NORM_FIELDS,
            *TARGET_FIELDS,
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in NORM_FIELDS:
            if name in self.fields:
                self.fields[name].required = False

    def clean(self):
        cleaned = super().clean()
        for name in NORM_FIELDS:
            if name in self.fields and cleaned.get(name) is None and name not in self.errors:
                cleaned[name] = Contract._meta.get_field(name).default
        return cleaned


@admin.register(Contract)
class ContractAdmin(OrganisationScopedAdmin):
    form = ContractAdminForm
    list_display = [
        "contractor",
        "area",
        "valid_from",
        "valid_until",
        "fee_per_dwelling_year",
        "type_fees_display",
        "dwellings_today",
        "annual_fee_today",
        "fee_per_repair",
        "sroi_pledge_percent",
    ]
    list_filter = ["contractor", "area"]
    list_select_related = ["contractor", "area"]
    search_fields = ["contractor__name", "area__name"]
    autocomplete_fields = ["contractor", "area"]
    inlines = [ContractTypeFeeInline]
    fieldsets = (
        (None, {"fields": ("organisation", "contractor", "area", "valid_from", "valid_until")}),
        (_("Fee and social return"), {"fields": ("fee_per_dwelling_year", "sroi_pledge_percent")}),
        (
            _("Norm times"),
            {
                "fields": (
                    "emergency_on_site_hours",
                    "appointment_working_days",
                    "completion_working_days",
                )
            },
        ),
        (
            _("Scorecard targets"),
            {
                "fields": TARGET_FIELDS,
                "description": _(
                    "Each figure of the area scorecard is green when it meets its target, amber"
                    " when it misses by a small margin, red otherwise. Leave a target empty to"
                    " show the figure without a judgement. SROI is judged against the pledge."
                ),
            },
        ),
        (
            _("Today"),
            {"fields": ("dwellings_today", "annual_fee_today", "fee_per_repair")},
        ),
    )
    readonly_fields = ["dwellings_today", "annual_fee_today", "fee_per_repair"]

    def get_queryset(self, request):
        return fees.contracts_with_figures(
            super().get_queryset(request).prefetch_related("type_fees")
        )

    @admin.display(description=_("fees per dwelling type"))
    def type_fees_display(self, obj: Contract) -> str:
        return (
            ", ".join(
                f"{fee.get_dwelling_type_display()}: € {fee.fee_per_dwelling_year}"
                for fee in obj.type_fees.all()
            )
            or "–"
        )

    @admin.display(description=_("dwellings today"), ordering="dwellings_today")
    def dwellings_today(self, obj: Contract):
        return getattr(obj, "dwellings_today", None) if obj.pk else "–"

    @admin.display(description=_("annual fee today (€)"), ordering="annual_fee_today")
    def annual_fee_today(self, obj: Contract) -> str:
        value = getattr(obj, "annual_fee_today", None)
        return (
            "–" if value is None else formats.number_format(Decimal(value), 2, force_grouping=True)
        )

    @admin.display(description=_("fee per completed repair, last 12 months (€)"))
    def fee_per_repair(self, obj: Contract) -> str:
        value = fees.fee_per_completed_repair(obj)
        return "–" if value is None else formats.number_format(value, 2, force_grouping=True)


@admin.register(Daypart)
class DaypartAdmin(SuperuserOnlyAdmin):
    """A contractor's own hours; contractors set them in their portal, not staff."""

    list_display = ["contractor", "kind", "start_time", "end_time"]
    list_select_related = ["contractor"]
    list_filter = ["kind"]
    search_fields = ["contractor__name"]


class ReadOnlyForStaffMixin:
    """Capacity belongs to the contractor: staff look, the contractor's planners change it."""

    def has_add_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser


@admin.register(WeeklySchedule)
class WeeklyScheduleAdmin(ReadOnlyForStaffMixin, OrganisationScopedAdmin):
    list_display = ["area", "contractor", "weekday", "daypart", "capacity"]
    list_select_related = ["area", "contractor", "daypart"]
    list_filter = ["area", "weekday"]
    search_fields = ["area__name", "contractor__name"]
    autocomplete_fields = ["area", "contractor"]


@admin.register(Slot)
class SlotAdmin(ReadOnlyForStaffMixin, OrganisationScopedAdmin):
    list_display = ["date", "daypart", "area", "contractor", "capacity", "booked"]
    list_select_related = ["area", "contractor", "daypart"]
    # recent periods, not a date hierarchy that reads every slot for its years
    list_filter = ["area", "contractor", ("date", admin.DateFieldListFilter)]
    search_fields = ["area__name", "contractor__name"]
    ordering = ["-date"]


class FeeStatementLineInline(ReadOnlyTabularInline):
    model = FeeStatementLine
    fields = [
        "contractor_name",
        "area_name",
        "dwellings_start",
        "dwellings_end",
        "dwelling_days",
        "fee_per_dwelling_year",
        "fee_note",
        "amount",
    ]
    readonly_fields = fields


class PeriodForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Period"), choices=PeriodKind.choices, initial=PeriodKind.MONTH
    )
    day = forms.DateField(
        label=_("A day in the period"),
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("For example 2026-10-01 for October 2026."),
    )


@admin.register(FeeStatement)
class FeeStatementAdmin(OrganisationScopedAdmin):
    """Issued statements are frozen; the period page computes the current figures."""

    list_display = ["__str__", "organisation", "total", "issued_at", "issued_by", "corrects"]
    list_select_related = ["organisation", "issued_by", "corrects"]
    list_filter = ["period_kind"]
    search_fields = ["=period_start"]
    date_hierarchy = "period_start"
    inlines = [FeeStatementLineInline]
    fields = [
        "period_kind",
        "period_start",
        "period_end",
        "total",
        "corrects",
        "issued_at",
        "issued_by",
    ]
    readonly_fields = fields
    change_list_template = "admin/contractors/feestatement/change_list.html"
    change_form_template = "admin/contractors/feestatement/change_form.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "period/",
                self.admin_site.admin_view(self.period_view),
                name="contractors_feestatement_period",
            ),
            path(
                "<int:statement_id>/csv/",
                self.admin_site.admin_view(self.statement_csv),
                name="contractors_feestatement_csv",
            ),
            *super().get_urls(),
        ]

    def _organisation_for(self, request):
        organisations = filter_by_scope(
            Organisation.objects.order_by("name"), organisation_scope(request.user), "pk"
        )
        chosen = request.GET.get("organisation") or request.POST.get("organisation")
        organisation = (
            organisations.filter(pk=chosen).first() if chosen and chosen.isdigit() else None
        )
        return organisation or organisations.first(), organisations

    def period_view(self, request):
        """The fee of a period per contract, live; staff may issue it as a frozen statement."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        organisation, organisations = self._organisation_for(request)
        if organisation is None:
            raise Http404
        form = PeriodForm(request.GET or None, initial={"day": timezone.localdate().replace(day=1)})
        kind, day = PeriodKind.MONTH, timezone.localdate().replace(day=1)
        if form.is_valid():
            kind, day = form.cleaned_data["kind"], form.cleaned_data["day"]
        start, end = fees.period_bounds(kind, day)
        if request.method == "POST":
            return self._issue(request, organisation)
        period = fees.fee_period(organisation_id=organisation.pk, start=start, end=end)
        if request.GET.get("format") == "csv":
            return _fee_csv(
                [
                    (
                        line.contract.contractor.name,
                        line.contract.area.name,
                        line.dwellings_start,
                        line.dwellings_end,
                        line.dwelling_days,
                        line.contract.fee_per_dwelling_year,
                        line.fee_note,
                        line.amount,
                    )
                    for line in period.lines
                ],
                f"vergoeding-{start:%Y-%m-%d}-{end:%Y-%m-%d}.csv",
            )
        issued = self.get_queryset(request).filter(
            organisation=organisation, period_start=start, period_end=end
        )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Fee statement"),
            "opts": self.model._meta,
            "form": form,
            "organisation": organisation,
            "organisations": organisations,
            "start": start,
            "end": end,
            "kind": kind,
            "day": day,
            "lines": period.lines,
            "totals": period.totals,
            "total": period.total,
            "rounding_rule": fees.ROUNDING_RULE,
            "issued": issued,
            "can_issue": request.user.has_perm("contractors.add_feestatement"),
            "query": request.GET.urlencode(),
        }
        return TemplateResponse(request, "admin/contractors/fee_period.html", context)

    def _issue(self, request, organisation):
        """Issue the posted period as a frozen statement (or a correction of one)."""
        if not request.user.has_perm("contractors.add_feestatement"):
            raise PermissionDenied
        posted = PeriodForm(request.POST)
        back = f"{request.path}?{request.GET.urlencode()}"
        if not posted.is_valid():
            self.message_user(request, _("Choose a period to issue."), messages.ERROR)
            return redirect(back)
        corrects = None
        if request.POST.get("corrects"):
            if not request.POST["corrects"].isdigit():
                raise Http404
            corrects = get_object_or_404(
                self.get_queryset(request), pk=request.POST["corrects"], organisation=organisation
            )
        try:
            statement = fees.fee_statement_issue(
                organisation_id=organisation.pk,
                kind=posted.cleaned_data["kind"],
                day=posted.cleaned_data["day"],
                actor=request.user,
                corrects=corrects,
            )
        except ApplicationError as error:
            self.message_user(request, error.message, messages.ERROR)
            return redirect(back)
        self.message_user(request, _("The statement is issued and frozen."), messages.SUCCESS)
        return redirect("admin:contractors_feestatement_change", statement.pk)

    def statement_csv(self, request, statement_id: int):
        if not self.has_view_permission(request):
            raise PermissionDenied
        statement = self.get_object(request, str(statement_id))
        # An issued statement is frozen, so its lines may come from the reporting replica.
        with reporting_reads():
            rows = [
                (
                    line.contractor_name,
                    line.area_name,
                    line.dwellings_start,
                    line.dwellings_end,
                    line.dwelling_days,
                    line.fee_per_dwelling_year,
                    line.fee_note,
                    line.amount,
                )
                for line in statement.lines.all()
            ]
        return _fee_csv(
            rows,
            f"vergoeding-{statement.period_start:%Y-%m-%d}-{statement.pk}.csv",
        )


FEE_CSV_HEADER = [
    "contractor",
    "area",
    "dwellings_start",
    "dwellings_end",
    "dwelling_days",
    "fee_per_dwelling_year",
    "fees_per_type",
    "amount",
]


def _fee_csv(rows: list[tuple], filename: str) -> HttpResponse:
    """The fee lines, the amount last, and a closing line with their total."""
    total = sum((row[-1] for row in rows), Decimal("0.00"))
    return csv_response(
        filename=filename,
        columns=FEE_CSV_HEADER,
        rows=[*rows, ("", "", "", "", "", "", "total", total)],
    )


@admin.register(SroiContribution)
class SroiContributionAdmin(OrganisationScopedAdmin):
    list_display = ["date", "contract", "buurt", "description", "value", "evidence_link"]
    list_select_related = ["contract__contractor", "contract__area", "buurt"]
    list_filter = ["contract"]
    search_fields = ["description", "neighbourhood", "contract__contractor__name"]
    autocomplete_fields = ["contract"]
    date_hierarchy = "date"
    change_list_template = "admin/contractors/sroicontribution/change_list.html"

    def get_urls(self):
        return [
            path(
                "ledger/",
                self.admin_site.admin_view(self.ledger_view),
                name="contractors_sroicontribution_ledger",
            ),
            path(
                "neighbourhoods/",
                self.admin_site.admin_view(self.neighbourhoods_view),
                name="contractors_sroicontribution_neighbourhoods",
            ),
            path(
                "<int:contribution_id>/evidence/",
                self.admin_site.admin_view(self.evidence_view),
                name="contractors_sroicontribution_evidence",
            ),
            *super().get_urls(),
        ]

    @admin.display(description=_("evidence"))
    def evidence_link(self, obj: SroiContribution) -> str:
        if not obj.evidence:
            return "–"
        url = reverse("admin:contractors_sroicontribution_evidence", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.evidence.name.rsplit("/", 1)[-1])

    def evidence_view(self, request, contribution_id: int):
        """The evidence file, for staff who may see the contribution: 404 for anyone else.
        Media files are not served publicly, so this is the only way to it."""
        if not self.has_view_permission(request):
            raise Http404
        contribution = self.get_object(request, str(contribution_id))
        if not contribution.evidence:
            raise Http404
        return FileResponse(
            contribution.evidence.open("rb"),
            as_attachment=True,
            filename=contribution.evidence.name.rsplit("/", 1)[-1],
        )

    def ledger_view(self, request):
        """Per contract and year: the pledge against the contributions recorded."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        raw = request.GET.get("year", "")
        year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else timezone.localdate().year
        rows = sroi.ledger(organisation_ids=organisation_scope(request.user), year=year)
        context = {
            **self.admin_site.each_context(request),
            "title": _("SROI ledger %(year)d") % {"year": year},
            "opts": self.model._meta,
            "rows": rows,
            "behind": [row for row in rows if row.behind],
            "year": year,
            "years": range(timezone.localdate().year - 3, timezone.localdate().year + 1),
        }
        return TemplateResponse(request, "admin/contractors/sroi_ledger.html", context)

    def neighbourhoods_view(self, request):
        """Per neighbourhood and year: the value of the contributions that went there."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        raw = request.GET.get("year", "")
        year = int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else timezone.localdate().year
        context = {
            **self.admin_site.each_context(request),
            "title": _("SROI per neighbourhood %(year)d") % {"year": year},
            "opts": self.model._meta,
            "rows": sroi.totals_per_neighbourhood(
                organisation_ids=organisation_scope(request.user), year=year
            ),
            "year": year,
            "years": range(timezone.localdate().year - 3, timezone.localdate().year + 1),
        }
        return TemplateResponse(request, "admin/contractors/sroi_neighbourhoods.html", context)
