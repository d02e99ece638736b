"""Periodic work of the machine interface."""

from celery import shared_task
from oauth2_provider.models import clear_expired

from .services import idempotency_keys_prune as keys_prune


@shared_task(ignore_result=True)
def api_tokens_clear() -> None:
    """Delete expired access tokens (and expired grants), so the token table holds only the
    tokens in use: a client fetches a new one every hour."""
    clear_expired()


@shared_task(ignore_result=True)
def idempotency_keys_prune() -> None:
    """Delete idempotency keys older than 24 hours: a retry comes within minutes, and the
    table stays small."""
    keys_prune()
