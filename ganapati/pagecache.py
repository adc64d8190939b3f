"""Public pages served from the cache to visitors without cookies (issue 17).

The public catalogue, a programme's page and "Trouver mon OPCO" are the same for every visitor
who is not logged in. A request that carries no cookie at all (a first visit, a search engine,
a link shared by e-mail) gets the page from the cache for up to `PUBLIC_PAGE_SECONDS`; a
request with a cookie (logged in, a flash message waiting, a CSRF token) is always rendered,
so nothing personal is ever cached or served to someone else. A page whose response sets a
cookie or is not a plain 200 is not cached.

Every save or deletion of a model an app registered with `invalidate_on` (programmes,
sessions, questionnaire answers, the organisation...) starts a new generation of the cache:
the next visitor sees the change at once (with a shared cache, CACHE_URL=redis://, in every
process; with the per-process default, each process within `PUBLIC_PAGE_SECONDS`). Bulk
updates send no signal: what they change shows within `PUBLIC_PAGE_SECONDS` at most.
"""

from __future__ import annotations

import hashlib
import logging
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)
GENERATION_KEY = "public-page:generation"
_watched: set = set()


def _seconds() -> int:
    return getattr(settings, "PUBLIC_PAGE_SECONDS", 60)


def _generation() -> int:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        cache.add(GENERATION_KEY, 1, None)
        generation = cache.get(GENERATION_KEY) or 1
    return generation


def new_generation(**_) -> None:
    """Forget every cached public page (a watched row changed). A cache that cannot be reached
    must not fail the save: its pages expire within `PUBLIC_PAGE_SECONDS` anyway."""
    try:
        try:
            cache.incr(GENERATION_KEY)
        except ValueError:  # not set yet (or evicted): any new value starts afresh
            cache.set(GENERATION_KEY, 2, None)
    except Exception:  # noqa: BLE001
        logger.warning("Cache injoignable : pages publiques non oubliées", exc_info=True)


def invalidate_on(*models) -> None:
    """Saving or deleting one of these models makes every public page be rendered again."""
    for model in models:
        if model in _watched:
            continue
        _watched.add(model)
        post_save.connect(new_generation, sender=model, weak=False)
        post_delete.connect(new_generation, sender=model, weak=False)


def public_page(view):
    """Serve `view` from the cache to GET requests without any cookie (see the module)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        seconds = _seconds()
        if request.method != "GET" or request.COOKIES or seconds <= 0:
            return view(request, *args, **kwargs)
        path = hashlib.sha256(request.get_full_path().encode("utf-8")).hexdigest()
        try:
            key = f"public-page:{_generation()}:{path}"
            cached = cache.get(key)
        except Exception:  # noqa: BLE001 - a cache down costs speed, never the page
            logger.warning("Cache injoignable : page publique rendue sans lui", exc_info=True)
            return view(request, *args, **kwargs)
        if cached is not None:
            content_type, content = cached
            response = HttpResponse(content, content_type=content_type)
            # As the rendered page says (the session was looked at): a shared cache on the way
            # must not give this anonymous page to a visitor who has cookies.
            patch_vary_headers(response, ("Cookie",))
            return response
        response = view(request, *args, **kwargs)
        if (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and not getattr(request, "_messages", None)
        ):
            try:
                cache.set(key, (response["Content-Type"], response.content), seconds)
            except Exception:  # noqa: BLE001
                logger.warning("Cache injoignable : page publique non gardée", exc_info=True)
        return response

    return wrapper
