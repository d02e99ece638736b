from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from . import views

account_patterns = [
    path("inloggen/", views.PortalLoginView.as_view(), name="login"),
    path("uitloggen/", auth_views.LogoutView.as_view(), name="logout"),
    path("activeren/", views.claim, name="claim"),
    path("activeren/verstuurd/", views.claim_sent, name="claim_sent"),
    path("activeren/<str:token>/", views.claim_confirm, name="claim_confirm"),
    path(
        "wachtwoord-vergeten/",
        auth_views.PasswordResetView.as_view(
            subject_template_name="registration/password_reset_subject.txt"
        ),
        name="password_reset",
    ),
    path(
        "wachtwoord-vergeten/verstuurd/",
        auth_views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "wachtwoord-kiezen/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "wachtwoord-kiezen/klaar/",
        auth_views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]

urlpatterns = [
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    # The machine interface: OAuth2 token, VERA OHD and its schema (api/urls.py).
    path("api/", include("api.urls")),
    path("account/", include(account_patterns)),
    path("account/mijn-gegevens/", include("privacy.urls")),
    path("aannemer/", include("repairs.contractor_urls")),
    path("aannemer/capaciteit/", include("contractors.urls")),
    path("aannemer/kpi/", include("surveys.contractor_urls")),
    path("aannemer/projecten/", include("projects.contractor_urls")),
    path("enquete/", include("surveys.urls")),
    path("projecten/", include("projects.urls")),
    path("", include("repairs.urls")),
    path("", views.home, name="home"),
]

# The error pages in the portal's layout and the visitor's language (portal.error_pages).
handler403 = "portal.error_pages.permission_denied"
handler404 = "portal.error_pages.page_not_found"
handler500 = "portal.error_pages.server_error"
