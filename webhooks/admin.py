"""Webhook endpoints and their delivery log in the admin. Staff make endpoints for their own
association; a platform admin (superuser) makes them for a contractor too. The signing
secret is shown once, on the page that answers the save. The log lists the outbox rows of
the endpoints in scope, and sends a delivery again."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import IntegerField, OuterRef, Subquery
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from outbox.models import MessageKind
from portal.scoping import OrganisationScopedAdmin, scope_queryset

from .models import EventType, WebhookDelivery, WebhookEndpoint
from .services import (
    HANDLER,
    NewWebhookEndpoint,
    webhook_deliveries_resend,
    webhook_endpoint_create,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_events_check,
)


class WebhookEndpointForm(forms.ModelForm):
    events = forms.MultipleChoiceField(
        label=_("events"),
        choices=EventType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What the endpoint is told of."),
    )

    class Meta:
        model = WebhookEndpoint
        fields = ["url", "description", "contractor", "organisation", "events"]

    # The URL is checked by the model's clean (webhooks.addresses.webhook_url_check): https,
    # and a public address unless WEBHOOK_ALLOW_PRIVATE_URLS.

    def clean_events(self) -> list[str]:
        return webhook_events_check(self.cleaned_data["events"])

    def clean(self):
        cleaned = super().clean()
        if "contractor" in self.fields and bool(cleaned.get("contractor")) == bool(
            cleaned.get("organisation")
        ):
            raise ValidationError(_("Choose one: a contractor or a housing association."))
        return cleaned


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(OrganisationScopedAdmin):
    form = WebhookEndpointForm
    list_display = ["url", "owner", "is_active", "failure_count", "disabled_at", "deliveries"]
    list_select_related = ["contractor", "organisation"]
    list_filter = ["is_active"]
    search_fields = ["url", "description"]
    actions = ["switch_off", "switch_on"]
    change_readonly = [
        "owner",
        "is_active",
        "failure_count",
        "disabled_at",
        "disabled_reason",
        "created_at",
        "created_by",
        "deliveries",
    ]

    @admin.display(description=_("belongs to"))
    def owner(self, obj: WebhookEndpoint) -> str:
        return str(obj.contractor or obj.organisation)

    @admin.display(description=_("delivery log"))
    def deliveries(self, obj: WebhookEndpoint) -> str:
        link = reverse("admin:webhooks_webhookdelivery_changelist") + f"?endpoint={obj.pk}"
        return format_html('<a href="{}">{}</a>', link, _("deliveries"))

    def get_fields(self, request, obj=None):
        if obj is not None:
            return ["url", "description", "events", *self.change_readonly]
        if request.user.is_superuser:
            return ["url", "description", "contractor", "organisation", "events"]
        return ["url", "description", "organisation", "events"]

    def get_readonly_fields(self, request, obj=None):
        return self.change_readonly if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "organisation" and not request.user.is_superuser:
            formfield.required = True
        return formfield

    def has_delete_permission(self, request, obj=None) -> bool:
        # Switched off, not deleted: the delivery log keeps its endpoint.
        return False

    def save_model(self, request, obj, form, change):
        if change:
            obj.save(update_fields=["url", "description", "events"])
            return
        new = webhook_endpoint_create(
            url=obj.url,
            events=obj.events,
            description=obj.description,
            contractor=form.cleaned_data.get("contractor"),
            organisation=form.cleaned_data.get("organisation"),
            created_by=request.user,
        )
        # The admin goes on with `obj` (its log entry, the answer): it becomes the saved row.
        saved = new.endpoint
        obj.pk, obj.secret, obj.created_at = saved.pk, saved.secret, saved.created_at
        obj._state.adding, obj._state.db = False, saved._state.db
        request.new_webhook_endpoint = new

    def response_add(self, request, obj, post_url_continue=None):
        new: NewWebhookEndpoint = request.new_webhook_endpoint
        context = {
            **self.admin_site.each_context(request),
            "title": _("Signing secret"),
            "opts": self.model._meta,
            "endpoint": new.endpoint,
            "secret": new.secret,
        }
        response = TemplateResponse(
            request, "admin/webhooks/webhookendpoint/secret_once.html", context
        )
        # The only page that shows the secret: no cache may keep it.
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(
        description=_("Switch the selected endpoints off (they get nothing more)"),
        permissions=["change"],
    )
    def switch_off(self, request, queryset):
        done = sum(
            webhook_endpoint_disable(endpoint=endpoint, reason=f"switched off by {request.user}")
            for endpoint in queryset.filter(is_active=True).order_by("pk")
        )
        self.message_user(
            request,
            ngettext("%(count)d endpoint switched off.", "%(count)d endpoints switched off.", done)
            % {"count": done},
            messages.SUCCESS,
        )

    @admin.action(description=_("Switch the selected endpoints on again"), permissions=["change"])
    def switch_on(self, request, queryset):
        done = sum(
            webhook_endpoint_enable(endpoint=endpoint)
            for endpoint in queryset.filter(is_active=False).order_by("pk")
        )
        self.message_user(
            request,
            ngettext("%(count)d endpoint switched on.", "%(count)d endpoints switched on.", done)
            % {"count": done},
            messages.SUCCESS,
        )


class EndpointFilter(admin.SimpleListFilter):
    title = _("endpoint")
    parameter_name = "endpoint"

    def lookups(self, request, model_admin):
        endpoints = scope_queryset(WebhookEndpoint.objects.order_by("url", "pk"), request)
        return [(str(endpoint.pk), endpoint.url) for endpoint in endpoints]

    def queryset(self, request, queryset):
        if self.value() and self.value().isdigit():
            return queryset.filter(payload__endpoint_id=int(self.value()))
        return queryset


class StatusFilter(admin.SimpleListFilter):
    title = _("status")
    parameter_name = "status"

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("waiting or to be tried again")),
            ("failed", _("failed, to be tried again")),
            ("ended", _("given up or cancelled")),
            ("done", _("delivered or skipped")),
        ]

    def queryset(self, request, queryset):
        filters = {
            "waiting": {"sent_at__isnull": True, "due_at__isnull": False},
            "failed": {"sent_at__isnull": True, "due_at__isnull": False, "attempts__gt": 0},
            "ended": {"sent_at__isnull": True, "due_at__isnull": True},
            "done": {"sent_at__isnull": False},
        }
        if self.value() in filters:
            return queryset.filter(**filters[self.value()])
        return queryset


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(OrganisationScopedAdmin):
    """Read only, but for "send again". The body (ids and codes) is not shown; the event
    type, the endpoint and what became of each attempt are."""

    list_display = [
        "created_at",
        "event_type",
        "endpoint_url",
        "status",
        "attempts",
        "last_response",
        "due_at",
        "sent_at",
    ]
    list_filter = [EndpointFilter, StatusFilter]
    search_fields = ["key"]
    actions = ["send_again"]
    fields = [
        "key",
        "event_type",
        "endpoint_url",
        "status",
        "attempts",
        "last_response",
        "created_at",
        "due_at",
        "sent_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request):
        # The endpoint's URL in the same query: the row names its endpoint in the payload.
        url = WebhookEndpoint.objects.filter(pk=OuterRef("endpoint_ref")).values("url")[:1]
        return (
            super()
            .get_queryset(request)
            .filter(kind=MessageKind.WEBHOOK, handler=HANDLER)
            .annotate(
                endpoint_ref=Cast(KT("payload__endpoint_id"), IntegerField()),
                endpoint_url=Subquery(url),
                event_type=KT("payload__body__type"),
            )
        )

    @admin.display(description=_("event"))
    def event_type(self, obj) -> str:
        return obj.event_type

    @admin.display(description=_("endpoint"))
    def endpoint_url(self, obj) -> str:
        return obj.endpoint_url or "-"

    @admin.display(description=_("status"))
    def status(self, obj) -> str:
        if obj.sent_at is not None:
            return _("delivered") if obj.outcome.startswith("HTTP") else _("skipped")
        if obj.due_at is None:
            return _("given up") if obj.outcome == "given up" else _("cancelled")
        if obj.attempts:
            return _("failed, to be tried again")
        return _("waiting")

    @admin.display(description=_("last response"))
    def last_response(self, obj) -> str:
        return obj.outcome if obj.sent_at is not None else (obj.last_error or obj.outcome)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Send the selected deliveries again"), permissions=["change"])
    def send_again(self, request, queryset):
        done = webhook_deliveries_resend(messages=list(queryset.order_by("pk")))
        self.message_user(
            request,
            ngettext("%(count)d delivery queued again.", "%(count)d deliveries queued again.", done)
            % {"count": done},
            messages.SUCCESS,
        )
