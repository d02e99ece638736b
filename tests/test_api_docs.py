"""Our own OpenAPI schema at /api/schema/ (drf-spectacular), read by Swagger UI at /api/docs/
and ReDoc at /api/redoc/: their files come from this site (drf-spectacular-sidecar), no CDN,
and both pages work under the portal's Content-Security-Policy (a browser opens them and
reports no violation)."""

import os
import re
import shutil
from pathlib import Path

import pytest
import yaml
from django.contrib.staticfiles import finders

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in the test thread (as in tests/browser).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.mark.django_db
def test_the_schema_describes_the_ohd_operations_with_oauth2_client_credentials(client):
    response = client.get("/api/schema/")
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    assert schema["openapi"].startswith("3.")
    operations = {
        path: {method: operation["operationId"] for method, operation in item.items()}
        for path, item in schema["paths"].items()
    }
    assert operations == {
        "/api/vera/ohd/v4/ping": {"get": "ping"},
        "/api/vera/ohd/v4/onderhoudsorders": {"get": "listOnderhoudsorders"},
        "/api/vera/ohd/v4/onderhoudsorders/{id}": {
            "get": "readOnderhoudsorderById",
            "patch": "updateOnderhoudsorderById",
        },
        "/api/vera/ohd/v4/afspraak-opties": {"get": "listAfspraakOpties"},
        "/api/vera/ohd/v4/afspraken": {"post": "createAfspraak"},
        "/api/vera/ohd/v4/afspraken/{id}": {
            "get": "readAfspraakById",
            "patch": "updateAfspraakById",
        },
        "/api/vera/ohd/v4/onderhoudsverzoeken": {
            "get": "listOnderhoudsverzoeken",
            "post": "createOnderhoudsverzoek",
        },
        "/api/vera/ohd/v4/onderhoudsverzoeken/{id}": {"get": "readOnderhoudsverzoekById"},
    }
    oauth2 = schema["components"]["securitySchemes"]["OAuth2"]
    assert oauth2["flows"]["clientCredentials"]["tokenUrl"] == "/api/oauth/token/"
    assert "OHD.Onderhoudsorders.Read" in oauth2["flows"]["clientCredentials"]["scopes"]
    listing = schema["paths"]["/api/vera/ohd/v4/onderhoudsorders"]["get"]
    assert {"OAuth2": ["OHD.Onderhoudsorders.Read"]} in listing["security"]
    assert set(listing["responses"]["200"]["headers"]) == {
        "X-Parameters-Aantal",
        "X-Parameters-AantalPerPagina",
        "X-Parameters-Pagina",
    }
    assert listing["responses"]["403"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Foutbericht"
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/api/docs/", "/api/redoc/"])
def test_the_documentation_pages_load_nothing_from_elsewhere(client, path):
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "http://" not in html and "https://" not in html
    nonce = re.search(r"'nonce-([\w-]+)'", response["Content-Security-Policy"]).group(1)
    # every inline block carries the nonce; every script is a file of this site
    for tag in re.findall(r"<(?:script|style)\b[^>]*>", html):
        assert "src=" in tag or f'nonce="{nonce}"' in tag, tag
    for source in re.findall(r'(?:src|href)="(/static/[^"]+)"', html):
        assert finders.find(source.removeprefix("/static/")), source
    # scripts as strict as on every page (ReDoc's page allows inline styles: api/docs.py)
    script_src = re.search(r"script-src ([^;]*)", response["Content-Security-Policy"]).group(1)
    assert script_src.split() == ["'self'", f"'nonce-{nonce}'"]


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        yield browser
        browser.close()


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "shown"),
    [("/api/docs/", ".opblock-summary-path"), ("/api/redoc/", "[data-section-id]")],
)
def test_the_documentation_pages_work_under_the_policy(browser, live_server, path, shown):
    context = browser.new_context(base_url=live_server.url)
    violations, requests = [], []
    context.expose_binding("__cspViolation", lambda _source, found: violations.append(found))
    context.add_init_script(
        'document.addEventListener("securitypolicyviolation", (event) => '
        "window.__cspViolation({directive: event.violatedDirective, blocked: event.blockedURI}));"
    )
    page = context.new_page()
    page.on("request", lambda request: requests.append(request.url))
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto(path)
    page.wait_for_selector(shown, timeout=15_000)
    page.wait_for_timeout(500)
    assert "onderhoudsorders" in page.content()
    context.close()
    # ReDoc's "API docs by Redocly" badge asks a CDN for its logo: the policy blocks it.
    blocked_logo = {"directive": "img-src", "blocked": "https://cdn.redoc.ly/redoc/logo-mini.svg"}
    violations = [
        found
        for found in violations
        if found != blocked_logo and "cdn.redoc.ly/redoc/logo-mini.svg" not in str(found)
    ]
    assert violations == [], "\n".join(map(str, violations))
    elsewhere = [url for url in requests if not url.startswith((live_server.url, "blob:"))]
    assert elsewhere in ([], ["https://cdn.redoc.ly/redoc/logo-mini.svg"])
