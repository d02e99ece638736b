"""Swagger UI at /api/docs/ and ReDoc at /api/redoc/ work in Chromium under the portal's
Content-Security-Policy: the page shows the OHD operations, the browser reports no violation,
and nothing is asked of another host (ReDoc's badge logo excepted: the policy blocks it)."""

import pytest


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
