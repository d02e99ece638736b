"""Periodic work of the machine interface."""

from celery import shared_task
from oauth2_provider.models import clear_expired


@shared_task(ignore_result=True)
def api_tokens_clear() -> None:
    """Delete expired access tokens (and expired grants), so the token table holds only the
    tokens in use: a client fetches a new one every hour."""
    clear_expired()
