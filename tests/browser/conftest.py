"""Browser tests: Playwright for Python driving Debian's Chromium against the live server."""

import json
import os
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in the test thread; the ORM calls the tests make
# around it are still plain synchronous calls.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Chromium is not installed: `make test` installs it (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server):
    """A phone-sized page (360 px wide) in Dutch, as most tenants use the portal."""
    context = browser.new_context(
        viewport={"width": 360, "height": 780},
        locale="nl-NL",
        timezone_id="Europe/Amsterdam",
        base_url=live_server.url,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def axe_violations(page, impacts=("serious", "critical")) -> list[dict]:
    """Run axe-core on the page; the serious and critical violations, for a readable assert."""
    if not AXE.exists():
        pytest.fail("axe-core is missing: run `npm install` (make test does)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document)")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
        if violation["impact"] in impacts
    ]


@pytest.fixture
def assert_accessible():
    def check(page) -> None:
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=2)

    return check
