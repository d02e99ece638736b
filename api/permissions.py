"""What a token may reach: an authenticated API client, holding a scope of the resource."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import ApiClient
from .scopes import read_scopes, write_scopes


class HasOhdScope(BasePermission):
    """The view names its OHD resource (`ohd_resource`, e.g. "Onderhoudsorders"): a read
    needs one of the resource's read scopes, a write one of its write scopes (api.scopes).
    A view without a resource (ping) needs a valid token only."""

    message = _("This token does not hold a scope for this resource.")
    code = "insufficient_scope"

    def has_permission(self, request, view) -> bool:
        if not isinstance(request.user, ApiClient) or request.auth is None:
            return False
        resource = getattr(view, "ohd_resource", None)
        if resource is None:
            return True
        wanted = read_scopes(resource) if request.method in SAFE_METHODS else write_scopes(resource)
        return bool(wanted & set(request.auth.scope.split()))


class ContractorClientOnly(BasePermission):
    """Orders' changes, appointments and appointment options are a contractor's to make:
    an association's client gets 403 (its token is valid, the operation is not its kind)."""

    message = _("Only a contractor's API client can do this.")
    code = "permission_denied"

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, ApiClient) and request.user.contractor_id is not None


class AssociationClientOnly(BasePermission):
    """Requests (onderhoudsverzoeken) are an association's: a contractor's client gets 403."""

    message = _("Only a housing association's API client can do this.")
    code = "permission_denied"

    def has_permission(self, request, view) -> bool:
        return isinstance(request.user, ApiClient) and request.user.organisation_id is not None
