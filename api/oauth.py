"""django-oauth-toolkit, told about API clients: a revoked client gets no token and its
tokens are refused, a token is loaded with its client and owner in one query, and the token
endpoint is throttled per caller address."""

import hashlib
import math

from django.http import JsonResponse
from oauth2_provider import views as oauth2_views
from oauth2_provider.models import AccessToken
from oauth2_provider.oauth2_validators import OAuth2Validator

from .throttling import TokenRateThrottle


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


class TokenView(oauth2_views.TokenView):
    """The token endpoint (RFC 6749's errors, not OHD's: it is OAuth2's, not an OHD
    operation). Past the rate a 429 with Retry-After, before any secret is checked."""

    def post(self, request, *args, **kwargs):
        throttle = TokenRateThrottle()
        if not throttle.allow_request(request, self):
            response = JsonResponse(
                {
                    "error": "too_many_requests",
                    "error_description": "Too many token requests; try again later.",
                },
                status=429,
            )
            response["Retry-After"] = str(math.ceil(throttle.wait() or 1))
            return response
        return super().post(request, *args, **kwargs)
