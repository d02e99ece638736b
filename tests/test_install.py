"""Installing the portal needs neither the Makefile nor npm: the stylesheet it serves is
committed under static/vendor/ with its licence. (.ci/run also installs into a fresh venv
with a plain `pip install -e .`.)"""

import json
import re
import tomllib
from pathlib import Path

from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import RequestFactory

ROOT = Path(__file__).resolve().parents[1]
BOOTSTRAP = "vendor/bootstrap/css/bootstrap.min.css"


def test_pages_link_the_bootstrap_committed_in_the_project(rf: RequestFactory, db):
    request = rf.get("/")
    request.user = AnonymousUser()
    html = render_to_string("base.html", request=request)
    assert f"/static/{BOOTSTRAP}" in html
    found = Path(finders.find(BOOTSTRAP))
    assert found.is_relative_to(ROOT / "static"), found
    assert (found.parent / "bootstrap.min.css.map").exists()  # named by the stylesheet
    licence = (ROOT / "static" / "vendor" / "bootstrap" / "LICENSE").read_text()
    assert "MIT License" in licence and "The Bootstrap Authors" in licence


def test_the_committed_bootstrap_is_the_version_npm_locks():
    locked = json.loads((ROOT / "package-lock.json").read_text())["packages"]
    version = locked["node_modules/bootstrap"]["version"]
    header = (ROOT / "static" / BOOTSTRAP).read_text()[:200]
    assert re.search(r"Bootstrap\s+v(\S+)", header).group(1) == version


def test_a_plain_pip_install_needs_no_build_constraint():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = [re.split(r"[<>=\[ ]", dep)[0].lower() for dep in project["dependencies"]]
    assert not [name for name in names if name.startswith("xstatic")]
    for path in ("Makefile", "Dockerfile"):
        assert "PIP_BUILD_CONSTRAINT" not in (ROOT / path).read_text(), path
