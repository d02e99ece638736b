"""Our own OpenAPI schema (drf-spectacular) and its two readers, Swagger UI and ReDoc, from the
drf-spectacular-sidecar package: every file from this site, none from a CDN, under the
portal's Content-Security-Policy: no inline script anywhere (Swagger UI's start script is a
second response, ReDoc's a static file), and the one inline style block carries the nonce.

ReDoc writes <style> elements of its own while its bundle loads, before any nonce can be
handed to it, and runs its search in a worker made from a blob: URL. Its page alone allows
inline styles and blob: workers; scripts stay as strict as everywhere. Its "API docs by
Redocly" badge asks a CDN for a logo, which the policy blocks, as it should."""

from django.conf import settings
from django.utils.csp import CSP
from drf_spectacular.views import (
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerSplitView,
)


class SchemaView(SpectacularAPIView):
    pass


class SwaggerView(SpectacularSwaggerSplitView):
    """The page and its start script as two responses (the split view), so the script is a
    file of the site rather than inline."""

    template_name = "api/swagger_ui.html"


class RedocView(SpectacularRedocView):
    template_name = "api/redoc.html"

    def dispatch(self, request, *args, **kwargs):
        response = super().dispatch(request, *args, **kwargs)
        # What Django's csp_override decorator sets, from the portal's policy.
        response._csp_config = {
            **settings.SECURE_CSP,
            "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
            "worker-src": [CSP.SELF, "blob:"],
        }
        return response
