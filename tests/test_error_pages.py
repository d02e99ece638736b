"""The error pages: 404, 403, 410, 429 and 500 in the portal's layout (header, language switch,
footer), in the visitor's language, each with a way back to the home page. DEBUG is off in the
tests, as in production.

The test URLs below add a page that fails, one that refuses and one whose link expired to the
portal's own URLs, with the portal's error handlers (portal/urls.py)."""

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import path, reverse

from portal import error_pages as errors
from portal import urls as portal_urls
from tests import factories


def fails(request):
    raise RuntimeError("a defect in a view")


def refuses(request):
    raise PermissionDenied


def expired(request):
    return errors.gone(request)


urlpatterns = [
    path("test/kapot/", fails),
    path("test/verboden/", refuses),
    path("test/verlopen/", expired),
    *portal_urls.urlpatterns,
]
handler403 = portal_urls.handler403
handler404 = portal_urls.handler404
handler500 = portal_urls.handler500


def client_reading(language: str, user=None) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language, raise_request_exception=False)
    if user is not None:
        client.force_login(user)
    return client


def main_of(html: str) -> str:
    return html.split('<main id="main"', 1)[1].split("</main>", 1)[0]


def home_link(html: str) -> str | None:
    """The text of the page's link to the home page inside <main>, if there is one."""
    found = re.search(r'<a [^>]*href="/"[^>]*>([^<]+)</a>', main_of(html))
    return found.group(1).strip() if found else None


def assert_portal_layout(html: str, language: str) -> None:
    assert f'<html lang="{language}">' in html
    assert 'href="#main"' in html  # the skip link of base.html
    assert "<footer" in html
    assert "Not Found" not in html and "Server Error" not in html


@pytest.fixture
def other_contractors_request(db, other_chain):
    return factories.routed_request_create(other_chain)


def test_another_contractors_request_shows_the_dutch_404_page_with_a_link_home(
    chain, planner, other_contractors_request
):
    # given a planner who reads Dutch
    client = client_reading("nl", planner)

    # when the planner opens a request of another contractor
    response = client.get(reverse("contractor_request", args=[other_contractors_request.reference]))

    # then the portal's page says so in Dutch, with a link home and the planner's own menu
    assert response.status_code == 404
    html = response.content.decode()
    assert_portal_layout(html, "nl")
    assert '<h1 class="h3">Pagina niet gevonden</h1>' in html
    assert home_link(html) == "Naar de startpagina"
    assert "Uitloggen" in html
    assert other_contractors_request.reference not in main_of(html)


def test_the_404_page_is_english_for_a_visitor_who_reads_english(
    chain, planner, other_contractors_request
):
    response = client_reading("en", planner).get(
        reverse("contractor_request", args=[other_contractors_request.reference])
    )

    assert response.status_code == 404
    html = response.content.decode()
    assert_portal_layout(html, "en")
    assert '<h1 class="h3">Page not found</h1>' in html
    assert home_link(html) == "Go to the home page"


@pytest.mark.django_db
def test_a_mistyped_address_shows_the_404_page_to_a_visitor_not_logged_in():
    response = client_reading("nl").get("/mijn-reparaties-typo/")

    assert response.status_code == 404
    html = response.content.decode()
    assert_portal_layout(html, "nl")
    assert home_link(html) == "Naar de startpagina"
    assert "Inloggen" in html  # the header offers to log in


@pytest.mark.urls(__name__)
def test_a_refused_page_shows_the_403_page(chain):
    response = client_reading("nl", chain.tenant).get("/test/verboden/")

    assert response.status_code == 403
    html = response.content.decode()
    assert_portal_layout(html, "nl")
    assert '<h1 class="h3">Geen toegang</h1>' in html
    assert home_link(html) == "Naar de startpagina"


@pytest.mark.urls(__name__)
def test_an_expired_link_shows_the_410_page(db):
    response = client_reading("nl").get("/test/verlopen/")

    assert response.status_code == 410
    html = response.content.decode()
    assert_portal_layout(html, "nl")
    assert '<h1 class="h3">Deze link is verlopen</h1>' in html
    assert home_link(html) == "Naar de startpagina"


@pytest.mark.urls(__name__)
@pytest.mark.parametrize(
    ("language", "heading", "home"),
    [
        ("nl", "Er ging iets mis", "Naar de startpagina"),
        ("en", "Something went wrong", "Go to the home page"),
    ],
)
def test_a_failing_page_shows_the_500_page_without_touching_the_database(
    chain, language, heading, home
):
    # given a logged-in tenant
    client = client_reading(language, chain.tenant)

    # when a page fails
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/test/kapot/")

    # then the portal's page says so in the tenant's language, without a query of its own
    assert response.status_code == 500
    html = response.content.decode()
    assert_portal_layout(html, language)
    assert f'<h1 class="h3">{heading}</h1>' in html
    assert home_link(html) == home
    assert "a defect in a view" not in html
    # the session is read to know the language and the user; the page itself reads nothing
    assert [q["sql"] for q in queries.captured_queries if "django_session" not in q["sql"]] == []


@pytest.mark.urls(__name__)
def test_the_500_page_falls_back_to_a_fixed_page_when_rendering_fails(db, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("the templates are broken too")

    monkeypatch.setattr(errors, "render_to_string", broken)

    response = client_reading("nl").get("/test/kapot/")

    assert response.status_code == 500
    html = response.content.decode()
    assert "Er ging iets mis" in html and "Something went wrong" in html
    assert '<a href="/">' in html


def test_a_locked_out_login_shows_the_429_page_in_dutch(chain, settings):
    settings.AXES_ENABLED = True
    client = client_reading("nl")
    login = reverse("login")

    responses = [
        client.post(login, {"username": "huurder@example.nl", "password": f"Gok-{n}"})
        for n in range(5)
    ]

    assert responses[-1].status_code == 429
    html = responses[-1].content.decode()
    assert_portal_layout(html, "nl")
    assert '<h1 class="h3">Te vaak geprobeerd</h1>' in html
    assert "Inloggen is 5 keer mislukt" in html
    assert home_link(html) == "Naar de startpagina"


def test_the_429_page_says_when_to_come_back(rf, db):
    from django.contrib.auth.models import AnonymousUser

    request = rf.get("/")
    request.user = AnonymousUser()
    response = errors.too_many_requests(request, retry_after=3600)

    assert response.status_code == 429
    assert response["Retry-After"] == "3600"
    assert "U heeft dit te vaak kort na elkaar geprobeerd" in response.content.decode()


@pytest.mark.django_db
def test_a_form_sent_without_its_security_token_shows_the_portals_403_page():
    # given a visitor whose form lost its token (a page left open, cookies refused)
    client = Client(HTTP_ACCEPT_LANGUAGE="nl", enforce_csrf_checks=True)

    # when the login form is sent
    response = client.post(reverse("login"), {"username": "a@example.nl", "password": "x"})

    # then the portal says what to do, in Dutch, with a link home
    assert response.status_code == 403
    html = response.content.decode()
    assert_portal_layout(html, "nl")
    assert '<h1 class="h3">Het formulier kon niet worden verstuurd</h1>' in html
    assert "CSRF" not in main_of(html)
    assert home_link(html) == "Naar de startpagina"
