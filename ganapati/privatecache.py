"""Logged-in pages served again from the cache until anything in the database changes (issue 17).

A trainer's dashboard, a session's page, the client space and the staff lists cost 7-25 ms of
Python each (ORM rows and templates) for pages that people reload far more often than the data
changes. Such a page, once rendered for a person, is kept and served again to **the same person
in the same login session** for the same address, as long as **nothing at all was written to the
database since** and for `PRIVATE_PAGE_SECONDS` at most (what depends on the clock, such as a
half-day opening for signatures, shows at most that late).

Why it cannot show stale money or states:
- Every INSERT, UPDATE or DELETE any process runs through Django (views, services, Celery
  workers, the admin, management commands; `QuerySet.update()` and raw SQL included, which send
  no model signal) starts a new generation once its transaction commits (`_watch_writes`, a
  database execute wrapper installed on every connection). Pages kept under an older
  generation are never served again. Only the login bookkeeping tables (`django_session`,
  django-axes) do not count.
- The generation is read before the page is rendered: a write committed during the rendering
  makes the page old at once.
- A request whose own transaction has uncommitted writes never reads or fills the cache.
- It needs a cache that every process shares (CACHE_URL=redis://...): with the per-process
  default, a write in one gunicorn worker could not reach the others, so the settings turn the
  feature off (PRIVATE_PAGE_SECONDS=0) unless CACHE_URL names a shared cache.

Who sees what: the key holds the user, the login session, the address with its query string,
every cookie the browser sent and the language, so a page is only ever given back to the
request that would have produced it. Rights are decided by the view on the first rendering; a
change of rights (a member removed, an account deactivated) is a write, hence a new generation.
Not kept: anything but a plain 200, a response that sets a cookie or a new CSRF secret, a
page that showed or queued a flash message or holds a one-use form token, a request with a
flash message waiting or without its CSRF cookie yet.

Served from the cache, a page costs one Redis round trip (the generation, the page and, with
the cached_db engine, the login session together) and no SQL: the login session must still
name the user the page was rendered for, with the same password hash.

Pages opt in with `@private_page` (the trainer's and the client's main pages); the admin's
index (staff work queue) and change lists are covered by the middleware's rule.
"""

from __future__ import annotations

import hashlib
import logging
import re

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.db import transaction
from django.db.backends.signals import connection_created
from django.utils import timezone

logger = logging.getLogger(__name__)

GENERATION_KEY = "private-page:generation"
# Login bookkeeping: written by reading pages (session expiry) or by logging in; no page's
# content depends on them beyond the login session, which is part of the key.
UNWATCHED_TABLES = frozenset({"django_session", "axes_accessattempt", "axes_accesslog",
                              "axes_accessfailurelog"})  # fmt: skip
_WRITE = re.compile(
    r'^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|TRUNCATE(?:\s+TABLE)?)\s+"?([A-Za-z0-9_]+)"?',
    re.IGNORECASE,
)
_WRITE_STARTS = ("INSERT", "UPDATE", "DELETE", "TRUNCATE", "REPLACE", "MERGE")


def seconds() -> int:
    return getattr(settings, "PRIVATE_PAGE_SECONDS", 0)


# --- Generations -------------------------------------------------------------------------------


def new_generation() -> None:
    """Forget every kept page (something was written and committed)."""
    try:
        cache.incr(GENERATION_KEY)
    except ValueError:  # not set yet, or evicted: any new value starts afresh
        try:
            cache.set(GENERATION_KEY, _fresh_generation(), None)
        except Exception:  # noqa: BLE001 - the cache down: nothing can be served from it either
            logger.warning("Cache injoignable : génération des pages non avancée", exc_info=True)
    except Exception:  # noqa: BLE001
        logger.warning("Cache injoignable : génération des pages non avancée", exc_info=True)


def _fresh_generation() -> int:
    # After an eviction, a value no earlier page can have been kept under.
    import time

    return int(time.time() * 1000)


def _is_watched_write(sql) -> bool:
    if not isinstance(sql, str):
        sql = str(sql)
    head = sql.lstrip()[:8].upper()
    if head.startswith("WITH"):  # a common table expression may hide a write
        upper = sql.upper()
        return any(word in upper for word in ("INSERT ", "UPDATE ", "DELETE "))
    if not head.startswith(_WRITE_STARTS):
        return False
    match = _WRITE.match(sql)
    if match is None:  # a write whose table we cannot name: counts
        return True
    return match.group(1).lower() not in UNWATCHED_TABLES


def _watch_writes(execute, sql, params, many, context):
    result = execute(sql, params, many, context)
    if seconds() > 0 and _is_watched_write(sql):  # off: nothing is kept, nothing to forget
        connection = context["connection"]
        if not connection.in_atomic_block:
            new_generation()  # autocommit: already committed
        elif not _pending(connection):
            transaction.on_commit(new_generation, using=connection.alias)
    return result


def _pending(connection) -> bool:
    """This connection's transaction has written something not committed yet."""
    return any(func is new_generation for _, func, _ in connection.run_on_commit)


def install(connection, **_) -> None:
    if _watch_writes not in connection.execute_wrappers:
        connection.execute_wrappers.append(_watch_writes)


def connect_signals() -> None:
    connection_created.connect(install, dispatch_uid="ganapati.privatecache.install")
    from django.db import connections

    for conn in connections.all(initialized_only=True):
        install(conn)


# --- Pages -------------------------------------------------------------------------------------


def private_page(view):
    """Mark a view whose GET page may be kept for its viewer (see the module)."""
    view.private_page = True
    return view


def _opted_in(request, view_func) -> bool:
    if getattr(view_func, "private_page", False):
        return True
    match = request.resolver_match
    if match is None or match.app_name != "admin":
        return False
    name = match.url_name or ""
    return name == "index" or name.endswith("_changelist")


def _any_pending_write() -> bool:
    from django.db import connections

    return any(
        conn.in_atomic_block and _pending(conn) for conn in connections.all(initialized_only=True)
    )


def _session_cache_key(session) -> str | None:
    """Where the cached_db engine keeps this login session, if it is not loaded yet."""
    if (
        getattr(settings, "SESSION_CACHE_ALIAS", "default") != "default"
        or not hasattr(session, "cache_key")
        or hasattr(session, "_session_cache")
    ):
        return None
    return session.cache_key


def _key(request) -> str:
    parts = [
        request.session.session_key or "",
        request.get_host(),
        "https" if request.is_secure() else "http",
        request.get_full_path(),
        getattr(request, "LANGUAGE_CODE", ""),
        # What depends on the clock (a half-day open for signing) is at most this late; the
        # project's clock, so that a test travelling in time sees it move.
        str(int(timezone.now().timestamp()) // max(seconds(), 1)),
        request.META.get("HTTP_COOKIE", ""),
    ]
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogateescape")).hexdigest()
    return f"private-page:{digest}"


class PrivatePageCacheMiddleware:
    """Serves an opted-in page from the cache to its own viewer while the data is unchanged.

    Last in MIDDLEWARE: every other middleware (security headers, CSP, frame options, axes)
    still handles the response served from the cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        pending = getattr(request, "_private_page", None)
        if pending is not None and self._keepable(request, response, pending[2]):
            key, generation, user_id, auth_hash = pending
            try:
                cache.set(key, (generation, user_id, auth_hash, response), seconds())
            except Exception:  # noqa: BLE001 - a cache down costs speed, never the page
                logger.warning("Cache injoignable : page non gardée", exc_info=True)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            request.method != "GET"
            or seconds() <= 0
            or not _opted_in(request, view_func)
            or settings.CSRF_COOKIE_NAME not in request.COOKIES
            or "messages" in request.COOKIES
            or not request.session.session_key
            or _any_pending_write()
        ):
            return None
        key = _key(request)
        session = request.session
        # One round trip: the generation, the kept page and (cached_db) the login session.
        session_key = _session_cache_key(session)
        try:
            found = cache.get_many([GENERATION_KEY, key, *([session_key] if session_key else [])])
        except Exception:  # noqa: BLE001
            logger.warning("Cache injoignable : page rendue sans lui", exc_info=True)
            return None
        if session_key and session_key in found:
            session._session_cache = found[session_key]  # what cached_db.load() would read
        user_id, auth_hash = session.get(SESSION_KEY), session.get(HASH_SESSION_KEY)
        if user_id is None or "_messages" in session:
            return None
        generation = found.get(GENERATION_KEY)
        if generation is None:
            new_generation()
            try:
                generation = cache.get(GENERATION_KEY)
            except Exception:  # noqa: BLE001
                return None
            if generation is None:
                return None
        kept = found.get(key)
        # The same generation, and the login session still that of the person it was rendered
        # for (a logout deletes the session; a password change is a write).
        if kept is not None and kept[:3] == (generation, user_id, auth_hash):
            response = kept[3]
            response["X-Ganapati-Page-Cache"] = "hit"
            return response
        request._private_page = (key, generation, user_id, auth_hash)
        return None

    @staticmethod
    def _keepable(request, response, user_id) -> bool:
        user = getattr(request, "user", None)
        return (
            response.status_code == 200
            # Rendered for the person the login session names (the view checked their rights).
            and user is not None
            and user.is_authenticated
            and str(user.pk) == str(user_id)
            and not response.streaming
            and _sets_no_new_cookie(request, response)
            # The CSRF secret the page's token was made from is still the browser's cookie
            # (not a new one or a rotation at login).
            and request.META.get("CSRF_COOKIE") == request.COOKIES.get(settings.CSRF_COOKIE_NAME)
            and not len(getattr(request, "_messages", ()) or ())
            and not _any_pending_write()
            # A one-use form token (ganapati.idempotency) must be new at each rendering.
            and b'name="form_token"' not in response.content
        )


def _sets_no_new_cookie(request, response) -> bool:
    """Only the browser's own CSRF cookie sent back (the admin's csrf_protect renews its
    expiry inside the view): anything else would be given again to the next request."""
    name = settings.CSRF_COOKIE_NAME
    for cookie_name, morsel in response.cookies.items():
        if cookie_name != name or morsel.value != request.COOKIES.get(name):
            return False
    return True
