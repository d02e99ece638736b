"""A Redis cache that turns an unreachable Redis into cache misses instead of errors."""

import logging
import threading
import time
from urllib.parse import urlsplit

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)


class _Health:
    """What one process knows about one Redis: shared by every thread's cache object."""

    def __init__(self):
        self.lock = threading.Lock()
        self.failing = False
        self.retry_at = 0.0
        self.pending: set[str] = set()


_HEALTH: dict[tuple[str, ...], _Health] = {}
_HEALTH_LOCK = threading.Lock()


class ResilientRedisCache(RedisCache):
    """Django's RedisCache, except that no page fails because Redis is down.

    Sessions (cached_db) read through this cache, so a Redis outage must cost speed, never a
    500 (Django's RedisCache raises ConnectionError, and cached_db lets that through when it
    writes back a session it read from the database). Here a read is a miss and a write is
    skipped. After a failure Redis is left alone for RETRY_AFTER seconds, so an outage costs
    one timeout per process and not one per call; the outage and the recovery are each
    logged once.

    A key whose write or delete failed may still hold an older value when Redis comes back
    (a session deleted at logout, for one), so such keys are deleted before anything else is
    read once Redis answers again. They are remembered per process, at most MAX_PENDING.
    """

    RETRY_AFTER = 5.0
    MAX_PENDING = 10_000

    def __init__(self, server, params):
        super().__init__(server, params)
        with _HEALTH_LOCK:
            self._health = _HEALTH.setdefault(tuple(self._servers), _Health())
        # For the log: host and port only, never a password from the URL.
        self._where = ", ".join(
            f"{url.hostname}:{url.port or 6379}" for url in map(urlsplit, self._servers)
        )

    # Reads: a miss while Redis is away.

    def get(self, key, default=None, version=None):
        return self._guard(default, (), super().get, key, default, version)

    def get_many(self, keys, version=None):
        return self._guard({}, (), super().get_many, keys, version)

    def has_key(self, key, version=None):
        return self._guard(False, (), super().has_key, key, version)

    # Writes: skipped while Redis is away; the key is deleted when it is back.

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._guard(None, [(key, version)], super().set, key, value, timeout, version)

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(False, [(key, version)], super().add, key, value, timeout, version)

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._guard(False, [(key, version)], super().touch, key, timeout, version)

    def delete(self, key, version=None):
        return self._guard(False, [(key, version)], super().delete, key, version)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        written = [(key, version) for key in data]
        return self._guard(list(data), written, super().set_many, data, timeout, version)

    def delete_many(self, keys, version=None):
        keys = list(keys)
        self._guard(None, [(key, version) for key in keys], super().delete_many, keys, version)

    def _guard(self, default, written, operation, *args):
        if self._health.failing and not self._recovered():
            self._remember(written)
            return default
        try:
            return operation(*args)
        except RedisError as error:
            self._trip(error)
            self._remember(written)
            return default

    def _trip(self, error: RedisError) -> None:
        health = self._health
        with health.lock:
            if not health.failing:
                logger.warning(
                    "Cache at %s unreachable (%s); serving without it, next try in %.0f s",
                    self._where,
                    error,
                    self.RETRY_AFTER,
                )
            health.failing = True
            health.retry_at = time.monotonic() + self.RETRY_AFTER

    def _remember(self, written) -> None:
        if not written:
            return
        health = self._health
        with health.lock:
            for key, version in written:
                if len(health.pending) >= self.MAX_PENDING:
                    break
                health.pending.add(self.make_and_validate_key(key, version=version))

    def _recovered(self) -> bool:
        """After an outage: is Redis back? Then first delete what was written meanwhile."""
        health = self._health
        if time.monotonic() < health.retry_at:
            return False
        with health.lock:
            stale = list(health.pending)
        try:
            if stale:
                self._cache.delete_many(stale)
            else:
                self._cache.get_client(write=True).ping()
        except RedisError as error:
            self._trip(error)
            return False
        with health.lock:
            health.pending.difference_update(stale)
            health.failing = False
        logger.info(
            "Cache at %s reachable again; %d key(s) written during the outage deleted",
            self._where,
            len(stale),
        )
        return True
