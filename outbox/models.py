"""The outbox: one row per outgoing message (a mail today, a webhook next), written in the
same transaction as the change that causes it, and sent by a periodic task when it is due."""

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class MessageKind(models.TextChoices):
    MAIL = "mail", _("mail")
    WEBHOOK = "webhook", _("webhook")


class OutboxMessage(models.Model):
    """A message to send once: the function registered as `handler` (a stable name given
    with outbox.handlers.outbox_handler) is called with `payload` as keyword arguments."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    kind = models.CharField(
        _("kind"), max_length=10, choices=MessageKind.choices, default=MessageKind.MAIL
    )
    handler = models.CharField(_("handler"), max_length=200)
    payload = models.JSONField(_("payload"), default=dict, blank=True)
    # By name: the outbox is the bottom layer and imports nothing of portal.
    organisation = models.ForeignKey(
        "portal.Organisation",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("housing association"),
    )
    # NULL: nobody sends it any more (given up after its kind's retry window, or cancelled).
    due_at = models.DateTimeField(_("due at"), default=timezone.now, null=True, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # What the handler reported when it returned a text ("HTTP 204", "not sent: …"), or why
    # the row ended unsent ("given up", "cancelled").
    outcome = models.CharField(_("outcome"), max_length=200, blank=True, db_default="")
    # Rows with the same ordering key are sent one at a time in primary-key order: a row waits
    # while an earlier row of its key is unsent and still due (webhooks of one order).
    ordering_key = models.CharField(_("ordering key"), max_length=200, blank=True, db_default="")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("outgoing message")
        verbose_name_plural = _("outgoing messages")
        ordering = ["due_at", "pk"]
        indexes = [
            # What the sender reads: the unsent rows, earliest due first.
            models.Index(
                fields=["due_at", "id"], name="outbox_due_idx", condition=Q(sent_at__isnull=True)
            ),
            # What the claim reads to hold back a row behind an earlier one of its key.
            models.Index(
                fields=["ordering_key", "id"],
                name="outbox_ordering_idx",
                condition=Q(sent_at__isnull=True) & ~Q(ordering_key=""),
            ),
            # What the clean-up reads: sent rows past their keeping time.
            models.Index(
                fields=["sent_at"], name="outbox_sent_idx", condition=Q(sent_at__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.key
