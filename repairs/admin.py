from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from portal.access import repair_request_can_reject
from portal.downloads import csv_response
from portal.errors import ApplicationError
from portal.models import Dwelling
from portal.paging import UnorderedCountPaginator
from portal.postcode import format_postcode
from portal.scoping import OrganisationScopedAdmin, ReadOnlyTabularInline, scope_queryset
from portal.search import normalise_term

from . import services
from .intake_views import intake_urls
from .lifecycle import Status, can_transition
from .models import (
    Appointment,
    MaterialReuse,
    Photo,
    RejectCategory,
    RepairCategory,
    RepairEvent,
    RepairRequest,
    UnroutedRequest,
)
from .selectors import (
    emergency_unconfirmed,
    past_latest_completion,
    reuse_register_donors,
    reuse_register_rows,
)


class RequestChildAdminMixin:
    """For screens of rows that hang off a request (survey invitations and answers): the
    search box finds the request's reference exactly, in any case, through its unique index
    rather than by text across the join, and the list is counted without its order.
    `request_path` is the lookup from the row to its request."""

    request_path = "request"
    paginator = UnorderedCountPaginator

    def get_search_results(self, request, queryset, search_term):
        term = normalise_term(search_term)
        if not term:
            return queryset, False
        requests = RepairRequest.objects.filter(reference=term.upper())
        return queryset.filter(**{f"{self.request_path}__in": requests.values("pk")}), False


@admin.register(RepairCategory)
class RepairCategoryAdmin(OrganisationScopedAdmin):
    list_display = [
        "name_nl",
        "name_en",
        "room_code",
        "defect_code",
        "trade_code",
        "responsibility",
        "is_emergency",
        "is_active",
    ]
    list_filter = ["organisation", "responsibility", "is_emergency", "is_active", "room_code"]
    search_fields = ["name_nl", "name_en", "=defect_code", "=room_code"]
    fieldsets = (
        (None, {"fields": ("organisation", "name_nl", "name_en", "is_active")}),
        (_("VERA codes"), {"fields": ("room_code", "defect_code", "trade_code")}),
        (
            _("Who repairs"),
            {"fields": ("responsibility", "tenant_advice_nl", "tenant_advice_en", "is_emergency")},
        ),
    )


class RepairEventInline(ReadOnlyTabularInline):
    model = RepairEvent
    fields = ["created_at", "status", "kind", "actor", "note"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class AppointmentInline(ReadOnlyTabularInline):
    model = Appointment
    fields = [
        "starts_at",
        "ends_at",
        "status",
        "contractor",
        "craftsman",
        "outcome",
        "outcome_reason",
        "outcome_notes",
        "created_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("contractor", "craftsman")


class PhotoInline(ReadOnlyTabularInline):
    model = Photo
    fields = ["preview", "width", "height", "uploaded_by", "created_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description=_("photo"))
    def preview(self, obj: Photo) -> str:
        url = reverse("admin:repairs_repairrequest_photo", args=[obj.request_id, obj.pk])
        return format_html(
            '<a href="{}"><img src="{}" alt="{}" class="portal-photo-thumb"></a>',
            url,
            url,
            _("Photo %(number)s") % {"number": obj.pk},
        )


class UnroutedFilter(admin.SimpleListFilter):
    title = _("routing")
    parameter_name = "routing"

    def lookups(self, request, model_admin):
        return [("unrouted", _("Unrouted: waiting for staff"))]

    def queryset(self, request, queryset):
        if self.value() == "unrouted":
            return queryset.filter(status=Status.UNROUTED)
        return queryset


class NormFilter(admin.SimpleListFilter):
    """Requests behind the contract's norm: open past their latest completion, or an
    emergency the contractor has not confirmed (the staff's start page links here)."""

    title = _("norm")
    parameter_name = "norm"

    def lookups(self, request, model_admin):
        return [
            ("late", _("Late: open past the latest completion")),
            ("emergency", _("Emergency not confirmed by the contractor")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "late":
            return queryset.filter(past_latest_completion(now=timezone.now()))
        if self.value() == "emergency":
            return queryset.filter(emergency_unconfirmed(now=timezone.now()))
        return queryset


class FollowUpFilter(admin.SimpleListFilter):
    """Requests staff look after once they are closed or back: recharged to the tenant,
    reopened by the tenant's survey answer, or a repeat repair of the same defect."""

    title = _("after-care")
    parameter_name = "after"

    def lookups(self, request, model_admin):
        return [
            ("recharge", _("Recharge to the tenant")),
            ("reopened", _("Reopened: not solved says the tenant")),
            ("repeat", _("Repeat repair (same defect within 30 days)")),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "recharge":
            return queryset.filter(recharge_tenant=True)
        if value == "reopened":
            return queryset.filter(reopened_at__isnull=False)
        if value == "repeat":
            return queryset.filter(repeat_of__isnull=False)
        return queryset


@admin.register(RepairRequest)
class RepairRequestAdmin(OrganisationScopedAdmin):
    list_display = [
        "reference",
        "created_at",
        "status",
        "is_urgent",
        "category",
        "dwelling",
        "contractor",
    ]
    # Each filter is served by an index with the association first (request_org_*); the
    # reporting date is a choice of recent periods, not a date hierarchy, whose year and month
    # links would read every row of the association.
    list_filter = [
        UnroutedFilter,
        NormFilter,
        FollowUpFilter,
        "status",
        "is_urgent",
        "channel",
        "contractor",
        ("created_at", admin.DateFieldListFilter),
    ]
    list_select_related = ["category", "dwelling", "contractor"]
    paginator = UnorderedCountPaginator
    # get_search_results decides what the search box finds; these name it for the admin.
    search_fields = ["=reference"]
    search_help_text = _("A request reference, or a VHE number, postcode or street.")
    autocomplete_fields = ["dwelling", "tenancy", "category"]
    readonly_fields = [
        "organisation",
        "reference",
        "status",
        "contract",
        "contractor",
        "created_at",
        "routed_at",
        "completed_at",
        "reported_by",
        "channel",
        "unrouted_alert_sent_at",
        "reject_category",
        "recharge_tenant",
        "reopened_at",
        "repeat_of",
    ]
    fields = [
        "reference",
        "organisation",
        "status",
        "is_urgent",
        "channel",
        "reported_by",
        "dwelling",
        "tenancy",
        "category",
        "description",
        "access_notes",
        "contact_phone",
        "contract",
        "contractor",
        "created_at",
        "routed_at",
        "completed_at",
        "unrouted_alert_sent_at",
        "reject_category",
        "recharge_tenant",
        "reopened_at",
        "repeat_of",
    ]
    inlines = [AppointmentInline, PhotoInline, RepairEventInline]
    actions = ["route_again"]
    # its object tools offer "Reject…" where staff may reject the request
    change_form_template = "admin/repairs/repairrequest/change_form.html"

    def has_add_permission(self, request):
        return False

    def get_search_results(self, request, queryset, search_term):
        # Exact on the reference, else by the ids of the association's dwellings found by
        # VHE number, postcode or street (RepairRequestQuerySet.search): never a text lookup
        # across the join to dwellings.
        dwellings = scope_queryset(Dwelling.objects.all(), request)
        return queryset.search(search_term, dwellings=dwellings), False

    def get_urls(self):
        photo = path(
            "<int:request_id>/photo/<int:photo_id>/",
            self.admin_site.admin_view(self.photo_view),
            name="repairs_repairrequest_photo",
        )
        reject = path(
            "<int:request_id>/reject/",
            self.admin_site.admin_view(self.reject_view),
            name=f"{self.opts.app_label}_{self.opts.model_name}_reject",
        )
        return [photo, reject, *intake_urls(self), *super().get_urls()]

    def _can_reject(self, request, repair_request: RepairRequest) -> bool:
        return (
            can_transition(repair_request.status, Status.REJECTED)
            and self.has_change_permission(request, repair_request)
            and repair_request_can_reject(user=request.user, repair_request=repair_request)
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["can_reject"] = obj is not None and self._can_reject(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def reject_view(self, request, request_id: int):
        """Staff reject one request of their association, with the reason the tenant reads;
        a request they may not see is 404, one no longer open goes back to its page."""
        if not self.has_view_permission(request):
            raise Http404
        repair_request = self.get_object(request, str(request_id))
        if repair_request is None:
            raise Http404
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=[repair_request.pk],
        )
        if not self._can_reject(request, repair_request):
            if not repair_request_can_reject(user=request.user, repair_request=repair_request):
                raise PermissionDenied
            self.message_user(
                request,
                _("A request that is “%(current)s” can no longer be rejected.")
                % {"current": repair_request.get_status_display()},
                messages.WARNING,
            )
            return redirect(change_url)
        reason, category, recharge, errors = "", "", False, {}
        if request.method == "POST":
            reason = request.POST.get("reason", "")[:1000]
            category = request.POST.get("category", "")
            recharge = request.POST.get("recharge") == "on"
            try:
                services.repair_request_reject(
                    repair_request=repair_request,
                    actor=request.user,
                    reason=reason,
                    category=category,
                    recharge=recharge,
                )
            except ApplicationError as refusal:
                errors = {refusal.extra.get("field", "reason"): refusal.message}
            else:
                self.message_user(
                    request,
                    _(
                        "Request %(reference)s is rejected. The tenant reads the reason in the "
                        "portal; a planned visit is cancelled and the contractor's daypart is "
                        "free again."
                    )
                    % {"reference": repair_request.reference},
                    messages.SUCCESS,
                )
                return redirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reject request %(reference)s") % {"reference": repair_request.reference},
            "opts": self.opts,
            "original": repair_request,
            "change_url": change_url,
            "reason": reason,
            "category": category,
            "recharge": recharge,
            "categories": RejectCategory.choices,
            "errors": errors,
        }
        return TemplateResponse(
            request,
            "admin/repairs/repairrequest/reject.html",
            context,
            status=422 if errors else 200,
        )

    def photo_view(self, request, request_id: int, photo_id: int):
        """A request's photo, for staff who may see the request: 404 for anyone else."""
        if not self.has_view_permission(request):
            raise Http404
        repair_request = self.get_object(request, str(request_id))
        photo = get_object_or_404(Photo, pk=photo_id, request=repair_request)
        response = FileResponse(photo.image.open("rb"), content_type="image/jpeg")
        response["Cache-Control"] = "private, max-age=3600"
        return response

    def get_readonly_fields(self, request, obj=None):
        # The request is the tenant's report: staff read it and act through the lifecycle;
        # an unrouted one they may hand to a contract of their association.
        if obj is not None and obj.status == Status.UNROUTED:
            return [name for name in self.fields if name != "contract"]
        return self.fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "contract" and formfield is not None:
            # only a contract that runs today can take the work on
            formfield.queryset = formfield.queryset.valid_on(timezone.localdate()).select_related(
                "contractor", "area"
            )
            formfield.help_text = _(
                "Hand this unrouted request to a contract by hand; better first fix the "
                "postcode rules and use “Route again”."
            )
        return formfield

    def save_model(self, request, obj, form, change):
        if change and "contract" in form.changed_data and form.cleaned_data.get("contract"):
            original = RepairRequest.objects.get(pk=obj.pk)
            services.repair_request_assign_contract(
                repair_request=original,
                contract_id=form.cleaned_data["contract"].pk,
                actor=request.user,
            )
            return
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Route again (after fixing postcode rules or contracts)"))
    def route_again(self, request, queryset):
        routed = 0
        for repair_request in queryset.filter(status=Status.UNROUTED).select_related("dwelling"):
            services.repair_request_route(repair_request=repair_request, actor=request.user)
            routed += repair_request.status == Status.ROUTED
        self.message_user(
            request,
            ngettext("%(count)d request routed.", "%(count)d requests routed.", routed)
            % {"count": routed},
            messages.SUCCESS if routed else messages.WARNING,
        )


@admin.register(MaterialReuse)
class MaterialReuseAdmin(OrganisationScopedAdmin):
    """What craftsmen reused; the register page sums it per contractor, area and quarter."""

    list_display = [
        "recorded_at",
        "description",
        "quantity",
        "unit",
        "source",
        "source_dwelling",
        "estimated_value",
        "contractor",
    ]
    list_select_related = ["contractor", "source_dwelling"]
    list_filter = ["source", "contractor", ("recorded_at", admin.DateFieldListFilter)]
    search_fields = ["description"]
    search_help_text = _("What was reused, or the VHE number of the dwelling it came from.")
    change_list_template = "admin/repairs/materialreuse/change_list.html"

    def get_search_results(self, request, queryset, search_term):
        found, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        term = normalise_term(search_term)
        if term:
            # the donor dwelling by its VHE number, by id rather than across the join
            donors = scope_queryset(Dwelling.objects.all(), request).filter(
                reference__in=sorted({term, term.upper()})
            )
            found = found | queryset.filter(source_dwelling_id__in=donors.values("pk"))
        return found, may_have_duplicates

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def get_urls(self):
        return [
            path(
                "register/",
                self.admin_site.admin_view(self.register_view),
                name="repairs_materialreuse_register",
            ),
            *super().get_urls(),
        ]

    def register_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        reuses = self.get_queryset(request)
        table = reuse_register_rows(reuses=reuses)
        if request.GET.get("format") == "csv":
            return csv_response(
                filename="hergebruik.csv",
                columns=["quarter", "contractor", "area", "source", "items", "quantity", "value"],
                rows=(list(row.values()) for row in table),
            )
        donors = reuse_register_donors(reuses=reuses)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Material-reuse register"),
            "opts": self.model._meta,
            "table": table,
            "donors": donors,
        }
        return TemplateResponse(request, "admin/repairs/reuse_register.html", context)


@admin.register(UnroutedRequest)
class UnroutedRequestAdmin(RepairRequestAdmin):
    """Only the unrouted requests, with their postcode; “Route again” after fixing the rules."""

    list_display = ["reference", "created_at", "postcode", "dwelling", "category"]
    list_filter = []
    date_hierarchy = None

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=Status.UNROUTED)

    @admin.display(description=_("postcode"), ordering="dwelling__postcode")
    def postcode(self, obj: RepairRequest) -> str:
        return format_postcode(obj.dwelling.postcode)
