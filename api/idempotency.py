"""POSTs that a client system may retry: with an `Idempotency-Key` header, the first result
(status and body) is stored with the write, in its transaction (api.models.IdempotencyKey),
and a request again with the same key, by the same client, gets that result back without
writing again. A refused write stores nothing, so it may be retried as it is. The same key
with another request (method, path or body) is refused with 409."""

import functools
import hashlib

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from .models import IdempotencyKey
from .services import IdempotencyKeyReused, idempotency_key_store

HEADER = "Idempotency-Key"
MAX_LENGTH = 255

PARAMETER = OpenApiParameter(
    HEADER,
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description=(
        "Een unieke sleutel per verzoek: een herhaald verzoek met dezelfde sleutel krijgt "
        "het eerste antwoord terug (24 uur bewaard) en schrijft niets opnieuw."
    ),
)


def fingerprint(request) -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(request.body)
    return digest.hexdigest()


def _replay(stored: IdempotencyKey, request_fingerprint: str) -> Response:
    if stored.fingerprint != request_fingerprint:
        raise IdempotencyKeyReused(
            _("This Idempotency-Key was sent before with another request. Use a new key.")
        )
    headers = {"Idempotent-Replayed": "true"}
    if stored.location:
        headers["Location"] = stored.location
    return Response(stored.body, status=stored.status_code, headers=headers)


def _stored(api_client, key: str) -> IdempotencyKey | None:
    return IdempotencyKey.objects.filter(api_client=api_client, key=key).first()


def idempotent(post):
    """Wrap a view's post method: see the module's docstring."""

    @functools.wraps(post)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return post(view, request, *args, **kwargs)
        key = key.strip()
        # Printable only: a control character (NUL above all, which PostgreSQL text cannot
        # hold) is no key a client meant to send.
        if not key or len(key) > MAX_LENGTH or not key.isprintable():
            raise ValidationError(
                {
                    HEADER: [
                        _("Give a key of 1 to %(max)d printable characters.") % {"max": MAX_LENGTH}
                    ]
                }
            )
        request_fingerprint = fingerprint(request)
        stored = _stored(request.user, key)
        if stored is not None:
            return _replay(stored, request_fingerprint)
        try:
            with transaction.atomic():
                response = post(view, request, *args, **kwargs)
                if 200 <= response.status_code < 300:
                    idempotency_key_store(
                        api_client=request.user,
                        key=key,
                        fingerprint=request_fingerprint,
                        status_code=response.status_code,
                        body=response.data,
                        location=response.get("Location", ""),
                    )
        except IntegrityError:
            # The same key at the same moment: the other request stored it first, and this
            # one's write was rolled back with the key.
            stored = _stored(request.user, key)
            if stored is None:
                raise
            return _replay(stored, request_fingerprint)
        return response

    return wrapper
