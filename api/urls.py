"""The machine interface under /api/: the OAuth2 token, VERA OHD at /api/vera/ohd/v4/, and
our own OpenAPI schema with its Swagger UI and ReDoc pages (served from this site: the
sidecar package's files, no CDN)."""

from django.urls import include, path, re_path
from oauth2_provider import views as oauth2_views

from . import docs, oauth, views

ohd_patterns = [
    path("ping", views.PingView.as_view(), name="ping"),
    path("onderhoudsorders", views.OnderhoudsorderListView.as_view(), name="onderhoudsorders"),
    path(
        "onderhoudsorders/<str:id>",
        views.OnderhoudsorderDetailView.as_view(),
        name="onderhoudsorder",
    ),
    path("afspraak-opties", views.AfspraakOptieListView.as_view(), name="afspraak-opties"),
    path("afspraken", views.AfspraakListView.as_view(), name="afspraken"),
    path("afspraken/<str:id>", views.AfspraakDetailView.as_view(), name="afspraak"),
    path(
        "onderhoudsverzoeken",
        views.OnderhoudsverzoekListView.as_view(),
        name="onderhoudsverzoeken",
    ),
    path(
        "onderhoudsverzoeken/<str:id>",
        views.OnderhoudsverzoekDetailView.as_view(),
        name="onderhoudsverzoek",
    ),
    # Last: every other path under the base path is OHD's 404, as a Foutbericht.
    re_path(r"^.*$", views.OhdNotFoundView.as_view()),
]

app_name = "api"
urlpatterns = [
    path("oauth/token/", oauth.TokenView.as_view(), name="token"),
    path("oauth/revoke_token/", oauth2_views.RevokeTokenView.as_view(), name="revoke-token"),
    path("vera/ohd/v4/", include(ohd_patterns)),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.SwaggerView.as_view(url_name="api:schema"), name="swagger-ui"),
    path("redoc/", docs.RedocView.as_view(url_name="api:schema"), name="redoc"),
]
