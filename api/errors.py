"""Every error of the API in OHD's Foutbericht shape: {"code": ..., "omschrijving": ...}.

`code` is a stable word a program can test (DRF's error codes: "not_authenticated",
"authentication_failed", "permission_denied", "not_found", "throttled", "invalid", ...;
a domain refusal's class name, such as "SlotFull"); `omschrijving` is the text for a person,
in the request's language (Dutch unless it asks for English). Headers that belong to the
error stay: WWW-Authenticate on a 401, Retry-After on a 429.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.encoding import force_str
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from portal.errors import ApplicationError

# A domain refusal (the slot is full, the change is too late) answers 409 Conflict: the
# request was understood and is refused by the state of the data.
APPLICATION_ERROR_STATUS = status.HTTP_409_CONFLICT


def foutbericht(code: str, omschrijving: str) -> dict[str, str]:
    return {"code": code, "omschrijving": omschrijving}


def _flatten(detail, prefix: str = "") -> list[str]:
    """The messages of a DRF error detail (a string, a list or a dict by field), one line
    each, prefixed with the field they belong to."""
    if isinstance(detail, dict):
        lines = []
        for field, value in detail.items():
            name = "" if field == "non_field_errors" else f"{field}"
            lines += _flatten(value, f"{prefix}.{name}" if prefix and name else prefix or name)
        return lines
    if isinstance(detail, list | tuple):
        return [line for item in detail for line in _flatten(item, prefix)]
    text = force_str(detail)
    return [f"{prefix}: {text}" if prefix else text]


def foutbericht_exception_handler(exc, context):
    if isinstance(exc, ApplicationError):
        return Response(
            foutbericht(type(exc).__name__, force_str(exc.message)),
            status=APPLICATION_ERROR_STATUS,
        )
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        exc = exceptions.ValidationError(detail=detail)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = exception_handler(exc, context)
    if response is None:
        # Not an API error (a bug): Django reports it and answers 500.
        return None
    # A refused input is "invalid" whatever the field's own reason; the text says which
    # field and why.
    if isinstance(exc, exceptions.ValidationError):
        code = "invalid"
    else:
        code = exc.detail.code if hasattr(exc.detail, "code") else exc.default_code
    text = "; ".join(_flatten(exc.detail)) or _("The request is not valid.")
    response.data = foutbericht(str(code), text)
    return response
