"""Settings come from the environment, with the embedded default when nothing is set."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parent.parent
PRODUCTION_LIKE = {
    "SECRET_KEY": "x7#pL2!vQz9@kR4$wN8^mT1&bY6*hJ3(eF5)gD0-sA_cV+uI=oP",
    "ALLOWED_HOSTS": "portaal.woonstichting.nl",
    "DATABASE_URL": "postgres://portal:secret@db.internal:5432/portal",
    "REDIS_URL": "redis://redis.internal:6379/0",
    "EMAIL_URL": "smtp://mailer:secret@smtp.internal:587/?tls=True",
}
SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'broker': s.CELERY_BROKER_URL, 'tz': s.TIME_ZONE, 'lang': s.LANGUAGE_CODE, "
    "'languages': [code for code, _ in s.LANGUAGES], 'debug': s.DEBUG}))"
)


def run(args: list[str], **environment: str) -> subprocess.CompletedProcess:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(BASE_DIR)),
        "DJANGO_SETTINGS_MODULE": "portal.settings",
        **environment,
    }
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=60
    )


def test_nothing_set_runs_on_the_embedded_default():
    # given no DATABASE_URL and no REDIS_URL, for local development
    # when the settings load
    result = run(["-c", SHOW], DEBUG="true")

    # then SQLite and the file broker are used, in Dutch and Amsterdam time
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown == {
        "engine": "django.db.backends.sqlite3",
        "broker": "filesystem://",
        "tz": "Europe/Amsterdam",
        "lang": "nl",
        "languages": ["nl", "en"],
        "debug": True,
    }


def test_database_url_and_redis_url_switch_to_postgresql_and_redis():
    # given / when
    result = run(["-c", SHOW], **PRODUCTION_LIKE)

    # then
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)
    assert shown["engine"] == "django.db.backends.postgresql"
    assert shown["broker"] == "redis://redis.internal:6379/0"
    assert shown["debug"] is False


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY must be set when DEBUG is off"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS must be set when DEBUG is off"),
    ],
)
def test_debug_off_without_secret_key_or_hosts_stops_with_a_clear_message(missing, message):
    # given a production start with one setting forgotten
    environment = {k: v for k, v in PRODUCTION_LIKE.items() if k != missing}

    # when the portal starts
    result = run(["manage.py", "check"], **environment)

    # then it stops and names what is missing
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_check_deploy_reports_nothing_with_a_production_like_environment(tmp_path):
    # given a production environment whose database the check can reach: the model checks
    # ask it for its features (the dwelling's generated search column), as they would on a
    # real deployment
    environment = {**PRODUCTION_LIKE, "DATABASE_URL": f"sqlite:///{tmp_path / 'check.sqlite3'}"}

    # when
    result = run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], **environment)

    # then
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
