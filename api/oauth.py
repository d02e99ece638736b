"""django-oauth-toolkit's validator, told about API clients: a revoked client gets no token
and its tokens are refused, and a token is loaded with its client and owner in one query."""

import hashlib

from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator


def _client_usable(application) -> bool:
    api_client = getattr(application, "api_client", None)
    return api_client is not None and api_client.is_active


class ApiClientValidator(OAuth2Validator):
    def _load_application(self, client_id, request):
        application = super()._load_application(client_id, request)
        if application is not None and not _client_usable(application):
            request.client = None
            return None
        return application

    def _load_access_token(self, token):
        # The token, its application, the API client and its owner: what every API request
        # needs, in one query (the checksum column is indexed); the checksum as
        # OAuth2Validator._load_access_token computes it.
        checksum = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return (
            AccessToken.objects.select_related(
                "user",
                "application__api_client__contractor",
                "application__api_client__organisation",
            )
            .filter(token_checksum=checksum)
            .first()
        )

    def validate_bearer_token(self, token, scopes, request):
        if not super().validate_bearer_token(token, scopes, request):
            return False
        if not _client_usable(request.access_token.application):
            request.oauth2_error = {
                "error": "invalid_token",
                "error_description": "The client of this token is revoked.",
            }
            return False
        return True
