"""Throttle state lives in the Django cache (Redis in full mode); tests forget it per client address."""

import random

THROTTLE_SCOPES = ("refresh", "anon")


def random_client_ip() -> str:
    """An address in 10/8 for one test's client, so its throttle counters are its own."""
    return f"10.{random.randrange(256)}.{random.randrange(256)}.{random.randrange(1, 255)}"


def clear_throttle_state(*idents: str) -> None:
    """Forget the throttle counters of these client addresses.

    Targeted on purpose: in full mode the cache is Redis database 0, which is also the Celery
    broker's database, so `cache.clear()` (FLUSHDB) would wipe queued tasks and results of any
    worker sharing it. DRF's SimpleRateThrottle keys are "throttle_<scope>_<ident>".
    """
    from django.core.cache import cache

    cache.delete_many([f"throttle_{scope}_{ident}" for ident in idents for scope in THROTTLE_SCOPES])
