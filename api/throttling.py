"""A request budget per API client (not per address: one client may call from many)."""

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
