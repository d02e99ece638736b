"""How drf-spectacular describes the API's authentication in /api/schema/: OAuth2 client
credentials, named "OAuth2" as OHD.yaml names it, each operation with the scopes that open
it (api.permissions.HasOhdScope)."""

from django.urls import reverse
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.permissions import SAFE_METHODS

from .scopes import SCOPES, read_scopes, write_scopes


class ApiClientAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiClientAuthentication"
    name = "OAuth2"
    priority = 1

    def get_security_requirement(self, auto_schema):
        resource = getattr(auto_schema.view, "ohd_resource", None)
        if resource is None:
            return {self.name: []}
        scopes = (
            read_scopes(resource) if auto_schema.method in SAFE_METHODS else write_scopes(resource)
        )
        return [{self.name: [scope]} for scope in sorted(scopes)]

    def get_security_definition(self, auto_schema):
        return {
            "type": "oauth2",
            "description": "OAuth2 client credentials: a client made in the admin asks "
            "for a token at the token URL and sends it as `Authorization: Bearer <token>`.",
            "flows": {"clientCredentials": {"tokenUrl": reverse("api:token"), "scopes": SCOPES}},
        }
