"""The portal's own settings for benchmark runs, plus a bare view to compare pages with.

Production-like (DEBUG off, cached templates, whitenoise, real sessions); only what a run on
plain http over the loopback needs is relaxed: no https redirect, no secure-only cookies.
"""

import os

os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
os.environ.setdefault("SECURE_COOKIES", "false")

from portal.settings import *  # noqa: F403
from portal.settings import BASE_DIR, STORAGES

ROOT_URLCONF = "bench.urls"
SECURE_SSL_REDIRECT = False
SECURE_HSTS_SECONDS = 0
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Collected static files of bench runs stay out of the project's own staticfiles folder.
STATIC_ROOT = BASE_DIR / "var" / "bench" / "static"
# Hashed names from the manifest as in production, served by whitenoise; without the gzip and
# brotli copies, whose making takes minutes and which no measured page asks for.
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
}
