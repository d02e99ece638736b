"""Who calls: an API client, by an OAuth2 access token (client credentials) and nothing else."""

from django.utils.translation import gettext_lazy as _
from oauth2_provider.contrib.rest_framework import OAuth2Authentication
from rest_framework import exceptions


class ApiClientAuthentication(OAuth2Authentication):
    """A bearer token of an active API client: request.user is the ApiClient, request.auth
    the access token (its scopes in request.auth.scope). No token: the view's permission
    answers 401; a token that is unknown, expired or of a revoked client: 401 at once."""

    www_authenticate_realm = "ohd"

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            header = request.headers.get("Authorization", "")
            if header.lower().startswith("bearer "):
                raise exceptions.AuthenticationFailed(
                    _("The access token is unknown, expired or revoked.")
                )
            return None
        _user, access_token = result
        return access_token.application.api_client, access_token
