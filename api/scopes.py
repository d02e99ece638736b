"""The OAuth2 scopes of the machine interface, named as OHD.yaml's securitySchemes name them.

A client is granted some of them when it is made (ApiClient.scopes); a token carries those it
asked for, all of its grants by default. An operation names the resource it reads or writes
(`ohd_resource` on the view) and whether it writes: a token passes with the resource's Read
or ReadWrite scope for a read, its ReadWrite scope for a write, or OHD.All.Read /
OHD.All.ReadWrite, as OHD's operations list them. tests/test_api_contract.py checks the names
against the project's copy of OHD.yaml.
"""

from oauth2_provider.scopes import BaseScopes

ALL_READ = "OHD.All.Read"
ALL_READ_WRITE = "OHD.All.ReadWrite"

# The resources of OHD, in the order of its securitySchemes.
RESOURCES = (
    "AfspraakOpties",
    "Afspraken",
    "BouwkundigElementen",
    "CollectiefObjecten",
    "Inkoopfacturen",
    "Inspectierapporten",
    "Offertes",
    "Onderhoudsorders",
    "Onderhoudsverzoeken",
)

# OHD's own descriptions (Dutch, as the standard writes them).
SCOPES: dict[str, str] = {
    ALL_READ: "alleen lezen van alle resources",
    ALL_READ_WRITE: "lezen en schrijven van alle resources",
    **{
        scope: text
        for resource in RESOURCES
        for scope, text in (
            (f"OHD.{resource}.Read", f"alleen lezen van {resource}"),
            (f"OHD.{resource}.ReadWrite", f"lezen en schrijven van {resource}"),
        )
    },
}


def read_scopes(resource: str) -> frozenset[str]:
    """The scopes any one of which lets a token read the resource."""
    return frozenset(
        {f"OHD.{resource}.Read", f"OHD.{resource}.ReadWrite", ALL_READ, ALL_READ_WRITE}
    )


def write_scopes(resource: str) -> frozenset[str]:
    """The scopes any one of which lets a token write the resource."""
    return frozenset({f"OHD.{resource}.ReadWrite", ALL_READ_WRITE})


# What a new client is granted unless its maker picks otherwise: a contractor's planning
# system works its orders and their visits; an association's ERP its requests, and reads the
# orders they became.
CONTRACTOR_DEFAULT_SCOPES = (
    "OHD.Onderhoudsorders.ReadWrite",
    "OHD.AfspraakOpties.Read",
    "OHD.Afspraken.ReadWrite",
)
ASSOCIATION_DEFAULT_SCOPES = (
    "OHD.Onderhoudsverzoeken.ReadWrite",
    "OHD.Onderhoudsorders.Read",
)


def scope_choices() -> list[tuple[str, str]]:
    return [(scope, f"{scope} – {text}") for scope, text in SCOPES.items()]


class ApiClientScopes(BaseScopes):
    """django-oauth-toolkit's scopes backend: a client may ask for the scopes it was granted
    (ApiClient.scopes), and gets all of them when it asks for none."""

    def get_all_scopes(self):
        return SCOPES

    def get_available_scopes(self, application=None, request=None, *args, **kwargs):
        api_client = getattr(application, "api_client", None)
        if api_client is None or not api_client.is_active:
            return []
        return api_client.scope_list

    def get_default_scopes(self, application=None, request=None, *args, **kwargs):
        return self.get_available_scopes(application, request)
