"""Settings for the test suite: production settings with test-only secrets and fast hashing."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production-0123456789")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,localhost,127.0.0.1")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "true")
# Login lockout is tested on its own, with AXES_ENABLED switched on there.
os.environ.setdefault("AXES_ENABLED", "false")

from .settings import *  # noqa: F403
from .settings import DATABASES, STORAGES

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Webhook tests post to receivers on 127.0.0.1; the address check is tested with it off.
WEBHOOK_ALLOW_PRIVATE_URLS = True

# The replica as Django's test mirror of default: the same test database over a second
# connection. Reports read from it only where a test turns REPORTING_REPLICA on (and lets
# the test use both aliases), so every other test keeps to default.
DATABASES["replica"] = {**DATABASES["default"], "TEST": {"MIRROR": "default"}}
DATABASES["replica"]["OPTIONS"] = dict(DATABASES["default"].get("OPTIONS", {}))
REPORTING_REPLICA = None
