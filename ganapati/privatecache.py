"""Logged-in pages served again from the cache until anything in the database changes (issue 17).

A trainer's dashboard, a session's page, the client space and the staff lists cost 7-25 ms of
Python each (ORM rows and templates) for pages that people reload far more often than the data
changes. Such a page, once rendered for a person, is kept and served again to **the same person
in the same login session** for the same address, as long as **nothing at all was written to the
database since** and for `PRIVATE_PAGE_SECONDS` at most (what depends on the clock, such as a
half-day opening for signatures, shows at most that late).

Why it cannot show stale money or states: a kept page carries the position of PostgreSQL's
write-ahead log read just before it was rendered (`pg_current_wal_lsn()`), and is served again
only while that position has not moved. Every write to the database moves it, whoever makes it
and however (a view, a Celery worker, the admin, `QuerySet.update()`, raw SQL, psql, a
migration) and so does the commit or rollback that ends it; so the check needs no hook in our
code, no shared cache and nothing from Redis: a Redis that is down, slow or that lost a write
can cost speed, never correctness. The position is read before the rendering: a write
committed during it makes the page old at once. A request inside a transaction (its own
writes, uncommitted) never reads or fills the cache. With SQLite (development) there is no
such position and nothing is kept.

Who sees what: the key holds the login session, the address with its query string,
every cookie the browser sent and the language, so a page is only ever given back to the
request that would have produced it. Rights are decided by the view on the first rendering; a
change of rights (a member removed, an account deactivated) is a write, hence a new position.
Not kept: anything but a plain 200, a response that sets a cookie or a new CSRF secret, a
page that showed or queued a flash message or holds a one-use form token, a request with a
flash message waiting or without its CSRF cookie yet.

Served from the cache, a page costs one query (the login session, read with the log's
position by `ganapati.session_store`) and one cache read; the login session must still name the
user the page was rendered for, with the same password hash, under the same SECRET_KEY (part of
the key: a rotation after a leak ends kept pages as it ends login sessions). The position also
moves with autovacuum, logins and PostgreSQL's own bookkeeping (a note of running transactions
every 15 s on an active server), and with writes to *any* database of the same PostgreSQL server
(the log is the server's): a busy server keeps fewer pages, never wrong ones; on a server shared
with other applications the cache may serve nothing (bench/pages.py prints the share served).

Pages opt in with `@private_page` (the trainer's and the client's main pages); the admin's
index (staff work queue) and change lists are covered by the middleware's rule.
"""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone

logger = logging.getLogger(__name__)


def seconds() -> int:
    return getattr(settings, "PRIVATE_PAGE_SECONDS", 0)


# PostgreSQL's write-ahead log position, as text (also read with the login session by
# ganapati.session_store).
POSITION_SQL = "pg_current_wal_lsn()::text"


def database_position() -> str | None:
    """Where PostgreSQL's write-ahead log stands now: it moves with every write and every end of
    a transaction that wrote. None without PostgreSQL (or on a standby): nothing is kept."""
    if connection.vendor != "postgresql":
        return None
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {POSITION_SQL}")
            return cursor.fetchone()[0]
    except DatabaseError:
        logger.warning("Position du journal PostgreSQL illisible : page rendue", exc_info=True)
        return None


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


def _key(request) -> str:
    parts = [
        # After a leak, a new SECRET_KEY ends the kept pages as it ends the login sessions.
        hashlib.sha256(settings.SECRET_KEY.encode()).hexdigest(),
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
            key, position, user_id, auth_hash = pending
            try:
                cache.set(key, (position, user_id, auth_hash, response), seconds())
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
            or connection.in_atomic_block
        ):
            return None
        session = request.session  # read here (its query): the user is never loaded on a hit
        user_id, auth_hash = session.get(SESSION_KEY), session.get(HASH_SESSION_KEY)
        if user_id is None or "_messages" in session:
            return None
        # Read with the login session by our session engine (one query), else on its own.
        position = getattr(session, "database_position", None) or database_position()
        if position is None:
            return None
        key = _key(request)
        try:
            kept = cache.get(key)
        except Exception:  # noqa: BLE001 - a cache down costs speed, never the page
            logger.warning("Cache injoignable : page rendue sans lui", exc_info=True)
            return None
        # Nothing written since, and the login session still that of the person it was
        # rendered for (a logout deletes it; a password change is a write anyway).
        if kept is not None and kept[:3] == (position, user_id, auth_hash):
            response = kept[3]
            response["X-Ganapati-Page-Cache"] = "hit"
            return response
        request._private_page = (key, position, user_id, auth_hash)
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
            and not connection.in_atomic_block
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
