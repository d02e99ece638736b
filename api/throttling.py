"""A request budget per API client (not per address: one client may call from many)."""

import base64
import hashlib
from urllib.parse import unquote_plus

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiClient


class ApiClientRateThrottle(SimpleRateThrottle):
    """REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_client"] requests per client; past it a
    429 with Retry-After (api.errors keeps the header)."""

    scope = "api_client"

    def get_rate(self):
        # Read on every request rather than once at import, so a changed setting counts.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        if not isinstance(request.user, ApiClient):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.pk}


class TokenRateThrottle(SimpleRateThrottle):
    """REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api_token"] token requests per client id and
    caller address: every wrong secret of a real client costs the server a password hash, so
    guessing is slowed down before it can cost much (an unknown client id costs no hash). The
    address is read as NUM_PROXIES says (PROXY_COUNT)."""

    scope = "api_token"

    def get_rate(self):
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        client = hashlib.sha256(requested_client_id(request).encode()).hexdigest()[:32]
        return self.cache_format % {
            "scope": self.scope,
            "ident": f"{self.get_ident(request)}-{client}",
        }


def requested_client_id(request) -> str:
    """The client id a token request names: in its HTTP Basic credentials, or its body."""
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        try:
            decoded = base64.b64decode(header[6:], validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return ""
        return unquote_plus(decoded.split(":", 1)[0])
    return request.POST.get("client_id", "")
