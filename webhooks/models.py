"""Webhook endpoints: a contractor's or an association's URL that is told of changes (an
order routed, a visit booked, a survey graded) by a signed POST, sent through the outbox."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from outbox.models import OutboxMessage

from .addresses import webhook_url_check


class EventType(models.TextChoices):
    ORDER_CREATED = "order.created", _("order created (a request routed to the contractor)")
    ORDER_CANCELLED = "order.cancelled", _("order cancelled")
    APPOINTMENT_BOOKED = "appointment.booked", _("appointment booked")
    APPOINTMENT_MOVED = "appointment.moved", _("appointment moved")
    APPOINTMENT_CANCELLED = "appointment.cancelled", _("appointment cancelled")
    REQUEST_COMPLETED = "request.completed", _("request completed")
    SURVEY_GRADED = "survey.graded", _("survey graded (the grade only)")


class WebhookEndpointQuerySet(models.QuerySet):
    def active(self) -> "WebhookEndpointQuerySet":
        return self.filter(is_active=True)

    def of_owners(
        self, *, organisation_id: int | None, contractor_id: int | None
    ) -> "WebhookEndpointQuerySet":
        """The endpoints of this association and of this contractor (either may be None)."""
        owners = Q(pk__in=[])
        if organisation_id is not None:
            owners |= Q(organisation_id=organisation_id)
        if contractor_id is not None:
            owners |= Q(contractor_id=contractor_id)
        return self.filter(owners)


class WebhookEndpoint(models.Model):
    """A URL of one contractor (its orders across all its associations) or of one
    association (its own requests), never both and never none. The secret signs every
    delivery (Standard Webhooks); it is shown once, when the endpoint is made."""

    # By name: webhooks sits beside contractors and imports neither contractors nor portal's
    # models.
    contractor = models.ForeignKey(
        "contractors.Contractor",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name=_("contractor"),
    )
    organisation = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        verbose_name=_("housing association"),
    )
    url = models.URLField(
        _("URL"), max_length=500, help_text=_("Where the events are posted (https).")
    )
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The EventType values it wants.
    events = models.JSONField(_("events"), default=list)
    secret = models.CharField(_("signing secret"), max_length=100, editable=False)
    is_active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("An endpoint that is switched off gets nothing; what waits for it is dropped."),
    )
    failure_count = models.PositiveIntegerField(_("failures in a row"), default=0)
    disabled_at = models.DateTimeField(_("switched off at"), null=True, blank=True)
    disabled_reason = models.CharField(_("why switched off"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
    )

    objects = WebhookEndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["url", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contractor__isnull=False, organisation__isnull=True)
                | Q(contractor__isnull=True, organisation__isnull=False),
                name="webhookendpoint_one_owner",
                violation_error_message=_(
                    "A webhook endpoint belongs to one contractor or to one housing association."
                ),
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, disabled_at__isnull=True)
                | Q(is_active=False, disabled_at__isnull=False),
                name="webhookendpoint_disabled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.url

    def clean(self) -> None:
        super().clean()
        if self.url:
            try:
                webhook_url_check(self.url)
            except ValidationError as error:
                raise ValidationError({"url": error.error_list}) from None

    def wants(self, event_type: str) -> bool:
        return event_type in self.events


class WebhookDelivery(OutboxMessage):
    """The delivery log: the outbox rows of kind webhook, one per event and endpoint."""

    class Meta:
        proxy = True
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-pk"]
