"""API clients: a contractor's planning system or an association's ERP, each with an OAuth2
client (django-oauth-toolkit's Application) whose secret is stored hashed."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from oauth2_provider.settings import oauth2_settings

from contractors.models import Contractor
from portal.models import Organisation, OrganisationQuerySet


class OwnerKind(models.TextChoices):
    CONTRACTOR = "contractor", _("Contractor")
    ASSOCIATION = "association", _("Housing association")


class ApiClientQuerySet(OrganisationQuerySet):
    def active(self) -> "ApiClientQuerySet":
        return self.filter(is_active=True)


class ApiClient(models.Model):
    """A system that calls the API: it belongs to one contractor (and reaches that
    contractor's orders across its associations) or to one association (and reaches that
    association's own rows), never to both and never to none.

    During a request it is the API's principal (request.user): is_authenticated is True, and
    a revoked client never gets that far (api.oauth refuses its tokens)."""

    application = models.OneToOneField(
        oauth2_settings.APPLICATION_MODEL,
        on_delete=models.CASCADE,
        related_name="api_client",
        verbose_name=_("OAuth2 client"),
    )
    name = models.CharField(
        _("name"), max_length=120, help_text=_("Which system this is, e.g. 'Planning (Ultimo)'.")
    )
    contractor = models.ForeignKey(
        Contractor,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_clients",
        verbose_name=_("contractor"),
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="api_clients",
        verbose_name=_("housing association"),
    )
    # OAuth2 scopes granted, separated by spaces (api.scopes.SCOPES).
    scopes = models.TextField(_("scopes"))
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("A revoked client's tokens stop working at once.")
    )
    created_at = models.DateTimeField(_("made at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("made by"),
    )
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
    )

    objects = ApiClientQuerySet.as_manager()

    class Meta:
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")
        ordering = ["name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(contractor__isnull=False, organisation__isnull=True)
                | Q(contractor__isnull=True, organisation__isnull=False),
                name="apiclient_one_owner",
                violation_error_message=_(
                    "An API client belongs to one contractor or to one housing association."
                ),
            ),
            models.CheckConstraint(
                condition=Q(is_active=True, revoked_at__isnull=True)
                | Q(is_active=False, revoked_at__isnull=False),
                name="apiclient_revoked_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    # The principal's side of Django's user interface, for DRF (permissions, throttles).
    is_authenticated = True
    is_anonymous = False

    @property
    def owner_kind(self) -> str:
        return OwnerKind.CONTRACTOR if self.contractor_id else OwnerKind.ASSOCIATION

    @property
    def scope_list(self) -> list[str]:
        return self.scopes.split()


class IdempotencyKey(models.Model):
    """The first answer to a POST sent with an Idempotency-Key header, per client: stored in
    the transaction of the write it answers, so a retry with the same key gets that answer
    (status and body) and never writes twice. Kept for 24 hours (api.tasks)."""

    api_client = models.ForeignKey(
        ApiClient,
        on_delete=models.CASCADE,
        related_name="idempotency_keys",
        verbose_name=_("API client"),
    )
    key = models.CharField(_("key"), max_length=255)
    # What the key was first sent with (method, path and a hash of the body): the same key
    # with another request is refused rather than answered with the wrong result.
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status_code = models.PositiveSmallIntegerField(_("status"))
    body = models.JSONField(_("body"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [
            models.UniqueConstraint(
                fields=["api_client", "key"], name="idempotencykey_unique_per_client"
            )
        ]

    def __str__(self) -> str:
        return self.key
