"""Browser tests: Playwright for Python driving Debian's Chromium against the live server."""

import io
import json
import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import expect

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
def page(browser, live_server, media_root):
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
    # Served as a file of the site under test, so the Content-Security-Policy allows it.
    page.route("**/__axe-core.js", lambda route: route.fulfill(path=AXE))
    page.add_script_tag(url="/__axe-core.js")
    page.unroute("**/__axe-core.js")
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


def horizontal_overflow(page) -> bool:
    """True when the page is wider than the viewport, so a phone user has to scroll sideways."""
    return page.evaluate("document.documentElement.scrollWidth > window.innerWidth")


@pytest.fixture
def page_problems():
    """What is wrong with the page on a phone: axe's serious and critical findings, overflow.

    For a test that walks many pages and reports all of them at once."""

    def check(page) -> list:
        problems: list = axe_violations(page)
        if horizontal_overflow(page):
            problems.append(
                {
                    "id": "horizontal-overflow",
                    "scroll_width": page.evaluate("document.documentElement.scrollWidth"),
                    "viewport_width": page.evaluate("window.innerWidth"),
                }
            )
        return problems

    return check


@pytest.fixture
def assert_accessible():
    def check(page) -> None:
        violations = axe_violations(page)
        assert violations == [], json.dumps(violations, indent=2)

    return check


@pytest.fixture
def media_root(settings, tmp_path):
    """Photos uploaded in a test go to its own folder, not the project's var/media.

    (The secure cookies need no switching off: Chromium keeps them on http://localhost.)"""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def demo(transactional_db):
    """The demo data, as `make run` shows it: associations, contractors, slots and tenants."""
    from django.core import mail
    from django.core.management import call_command

    call_command("demo_data", stdout=io.StringIO())
    # The demo's unrouted request alerts staff; a test counts only the mails it causes.
    mail.outbox.clear()


@pytest.fixture
def switch_to_english():
    """Choose English with the header's button, as a tenant who reads no Dutch would.

    The tests read English: the Dutch translations are written separately and may lag."""

    def switch(page, path: str = "/") -> None:
        page.goto(path)
        page.get_by_role("button", name="English").click()
        expect(page.locator("html")).to_have_attribute("lang", "en")

    return switch


@pytest.fixture
def log_in():
    from demo.world import DEMO_PASSWORD

    def submit(page, email: str, password: str = DEMO_PASSWORD) -> None:
        page.goto("/account/inloggen/")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("main").get_by_role("button", name="Log in").click()

    return submit


@pytest.fixture
def daypart_radio():
    """The radio of a daypart on a page read in English, found by its name as a screen reader
    reads it: "Friday 4 December, morning 08:00–12:00"."""
    from django.utils import formats, timezone, translation

    def find(page, slot):
        starts = timezone.localtime(slot.starts_at)
        ends = timezone.localtime(slot.ends_at)
        with translation.override("en"):
            name = (
                f"{formats.date_format(starts, 'l j F')}, {slot.daypart.get_kind_display()} "
                f"{starts:%H:%M}–{ends:%H:%M}"
            )
        return page.get_by_role("radio", name=name)

    return find
