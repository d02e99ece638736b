"""Our own OpenAPI schema at /api/schema/ (drf-spectacular), read by Swagger UI at /api/docs/
and ReDoc at /api/redoc/: their files come from this site (drf-spectacular-sidecar), no CDN,
and both pages work under the portal's Content-Security-Policy (tests/browser/
test_api_docs_pages.py opens them in Chromium)."""

import re

import pytest
import yaml
from django.contrib.staticfiles import finders


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
        "/api/vera/ohd/v4/afspraken": {"get": "listAfspraken", "post": "createAfspraak"},
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
