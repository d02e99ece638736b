"""Every page is sent with a Content-Security-Policy that allows scripts and styles of the
portal itself only (a browser test checks that no page breaks it: tests/browser/
test_csp_pages.py), and the portal's templates hold no inline script, handler or style."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

TEMPLATES = Path(__file__).resolve().parents[1] / "templates"


def directives(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/account/inloggen/", "/melden/", "/bestaat-niet/"])
def test_pages_are_sent_with_a_strict_policy(client, path):
    response = client.get(path)
    policy = directives(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["img-src"] == ["'self'", "data:"]
    for kind in ("script-src", "style-src"):
        assert policy[kind][0] == "'self'"
        assert "'unsafe-inline'" not in policy[kind] and "'unsafe-eval'" not in policy[kind]


@pytest.mark.django_db
def test_the_admins_inline_blocks_carry_the_nonce_of_the_header(admin_client):
    response = admin_client.get(reverse("admin:contractors_area_changelist"))
    nonce = re.search(r"'nonce-([\w-]+)'", response.headers["Content-Security-Policy"])
    assert nonce, response.headers["Content-Security-Policy"]
    html = response.content.decode()
    assert f'nonce="{nonce.group(1)}"' in html
    # a new nonce for every response
    again = admin_client.get(reverse("admin:contractors_area_changelist"))
    assert nonce.group(1) not in again.headers["Content-Security-Policy"]


def test_no_template_has_inline_script_handler_or_style():
    """Mails are not pages (no policy applies to them, and mail programs want inline style)."""
    inline = re.compile(
        r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>"
        r"|<style\b|\sstyle=|\son[a-z]+=|javascript:",
        re.IGNORECASE,
    )
    found = {
        str(path.relative_to(TEMPLATES)): match.group(0)
        for path in TEMPLATES.rglob("*.html")
        if "mail" not in path.relative_to(TEMPLATES).parts
        for match in [inline.search(path.read_text())]
        if match
    }
    assert found == {}
