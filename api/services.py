"""Writes of the machine interface's own rows: making and revoking API clients."""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import AccessToken, get_application_model

from contractors.models import Contractor
from portal.models import Organisation, User

from .models import ApiClient
from .scopes import SCOPES


@dataclass(frozen=True)
class NewApiClient:
    """A client just made, with the one copy of its secret in plain text: only its hash is
    stored, so this is the only time anyone sees it."""

    api_client: ApiClient
    client_id: str
    client_secret: str


@transaction.atomic
def api_client_create(
    *,
    name: str,
    scopes: list[str],
    contractor: Contractor | None = None,
    organisation: Organisation | None = None,
    created_by: User | None = None,
) -> NewApiClient:
    """A confidential OAuth2 client for the client-credentials flow, owned by one contractor
    or one association; its secret is stored hashed (django-oauth-toolkit hashes it on save)."""
    if (contractor is None) == (organisation is None):
        raise ValidationError(
            _("An API client belongs to one contractor or to one housing association.")
        )
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown or not scopes:
        raise ValidationError(_("Choose one or more of the scopes offered."))
    Application = get_application_model()
    secret = generate_client_secret()
    application = Application(
        name=name[:255],
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_CLIENT_CREDENTIALS,
        hash_client_secret=True,
        client_secret=secret,
    )
    application.save()
    api_client = ApiClient.objects.create(
        application=application,
        name=name,
        contractor=contractor,
        organisation=organisation,
        scopes=" ".join(scope for scope in SCOPES if scope in set(scopes)),
        created_by=created_by,
    )
    return NewApiClient(
        api_client=api_client, client_id=application.client_id, client_secret=secret
    )


@transaction.atomic
def api_client_revoke(*, api_client: ApiClient, revoked_by: User | None = None) -> ApiClient:
    """Switch the client off: it gets no new token, and the tokens it holds are deleted (the
    token check refuses an inactive client's tokens as well). Revoking twice changes
    nothing."""
    api_client = ApiClient.objects.select_for_update().get(pk=api_client.pk)
    if api_client.is_active:
        api_client.is_active = False
        api_client.revoked_at = timezone.now()
        api_client.revoked_by = revoked_by
        api_client.save(update_fields=["is_active", "revoked_at", "revoked_by"])
    AccessToken.objects.filter(application_id=api_client.application_id).delete()
    return api_client
