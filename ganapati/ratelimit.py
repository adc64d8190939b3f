"""Rate limits for public forms (the share link, the PEC upload, bookings...).

A fixed window counter in the cache, one per (scope, key): the first hit of a window creates
it, the next ones increment it atomically. With several web machines the cache must be shared
(CACHE_URL=redis://... in production); the default local-memory cache limits per process,
which is what a single `bin/run` needs.
"""

from __future__ import annotations

import hashlib
import time

from django.core.cache import cache

from .errors import DomainError


def client_ip(request) -> str:
    """The address the request came from (behind a proxy, set it to pass the real one)."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def _cache_key(scope: str, key: str, window: int) -> str:
    bucket = int(time.time() // window)
    digest = hashlib.sha256(f"{scope}:{key}".encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{digest}:{bucket}"


def hit(scope: str, key: str, *, limit: int, window: int) -> bool:
    """Count one attempt; False once more than `limit` were made within the window."""
    name = _cache_key(scope, key, window)
    if cache.add(name, 1, timeout=window + 1):
        return True
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.add(name, 1, timeout=window + 1)
        return True
    return count <= limit


def check(request, scope: str, *, keys: dict[str, str], limits: dict[str, tuple[int, int]]):
    """Refuse (DomainError, French) when any key is over its limit.

    `keys` names what is counted ({"ip": "1.2.3.4", "session": "12"}) and `limits` gives each
    name its (attempts, window in seconds).
    """
    for name, value in keys.items():
        limit, window = limits[name]
        if not hit(f"{scope}:{name}", value, limit=limit, window=window):
            minutes = max(1, window // 60)
            raise DomainError(
                "Trop de tentatives en peu de temps : par sécurité, réessayez dans "
                f"{minutes} minute{'s' if minutes > 1 else ''}."
            )
