"""The error pages (404, 403, 410, 429, 500) in the portal's layout, in the visitor's language.

404 and 403 render with the request (the header knows who is logged in). 500 renders without
it: no context processor, no database query, nothing that may be what just failed; should even
that fail, a fixed page in both languages is sent."""

import logging

from django.http import HttpRequest, HttpResponse, HttpResponseServerError
from django.shortcuts import render
from django.template.loader import render_to_string
from django.views.decorators.csrf import requires_csrf_token

logger = logging.getLogger(__name__)

SERVER_ERROR_FALLBACK = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Er ging iets mis / Something went wrong</title></head>
<body><main>
<h1>Er ging iets mis</h1><p>Probeer het over een paar minuten opnieuw.</p>
<h1 lang="en">Something went wrong</h1><p lang="en">Please try again in a few minutes.</p>
<p><a href="/">Ketenportaal</a></p>
</main></body></html>"""


@requires_csrf_token
def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


@requires_csrf_token
def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def gone(request: HttpRequest, message: str = "") -> HttpResponse:
    """410: a link that worked once and no longer does (expired, used, withdrawn)."""
    return render(request, "410.html", {"message": message}, status=410)


def too_many_requests(
    request: HttpRequest, message: str = "", retry_after: int | None = None
) -> HttpResponse:
    """429: too many attempts in a short time; `retry_after` in seconds, when known."""
    response = render(request, "429.html", {"message": message}, status=429)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    try:
        html = render_to_string("500.html")
    except Exception:
        logger.exception("The 500 page could not be rendered; the fixed page was sent")
        html = SERVER_ERROR_FALLBACK
    return HttpResponseServerError(html)
