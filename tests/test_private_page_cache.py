"""Logged-in pages kept for their viewer until anything is written (issue 17,
ganapati/privatecache.py): never given to someone else, never older than the database.

Transactional tests on PostgreSQL (the write-ahead log's position is the check), as in
production; the attacks of the review (Redis down or hung, writes from elsewhere, a new
SECRET_KEY, the lockout list) are at the end."""

import pytest
from django.contrib import messages
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from sessions.models import TrainingSession

from .conftest import login
from .factories import StaffFactory, TrainerFactory, TrainingSessionFactory

pytestmark = pytest.mark.django_db(transaction=True)
HIT = "X-Ganapati-Page-Cache"


@pytest.fixture(autouse=True)
def _kept(settings):
    from django.db import connection as db

    from .conftest import require

    require(db.vendor == "postgresql", "PostgreSQL requis (DATABASE_URL)")
    settings.PRIVATE_PAGE_SECONDS = 60


def _browse(client, url, times=3):
    """A browser's visits: the first gets the CSRF cookie, the next ones can be kept. The log's
    position also moves for reasons of its own (PostgreSQL notes running transactions every
    15 s, autovacuum, other databases of the cluster): a few more visits until one is kept."""
    pages = [client.get(url) for _ in range(times)]
    while HIT not in pages[-1] and len(pages) < times + 5:
        pages.append(client.get(url))
    return pages


def _trainer_page(title="Négociation commerciale"):
    trainer = TrainerFactory(email="julien@exemple.fr")
    session = TrainingSessionFactory(trainer=trainer, title=title)
    client = login(Client(raise_request_exception=False), trainer)
    url = reverse("session_detail", args=[session.pk])
    assert _browse(client, url)[-1][HIT] == "hit"
    return trainer, session, client, url


def _kept_with_queries(client, url):
    """A visit served from the cache and the queries it ran (the log may move on its own
    between two visits: then the page is rendered again; the next visit is kept)."""
    from django.test.utils import CaptureQueriesContext

    for _ in range(6):
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url)
        if HIT in page:
            return page, len(queries)
    raise AssertionError("never served from the cache")


def test_a_trainer_gets_the_same_page_from_the_cache_until_a_write_changes_it(client):
    trainer = TrainerFactory(email="julien@exemple.fr")
    session = TrainingSessionFactory(trainer=trainer, title="Négociation commerciale")
    login(client, trainer)
    url = reverse("session_detail", args=[session.pk])
    pages = _browse(client, url)
    assert HIT not in pages[0] and HIT not in pages[1]
    assert pages[-1][HIT] == "hit" and pages[-1].content == pages[-2].content
    assert "Content-Security-Policy" in pages[-1]  # the outer middlewares still run
    _, queries = _kept_with_queries(client, url)
    assert queries == 1  # the login session, read with the log position
    # A bulk update sends no model signal: still seen at once.
    TrainingSession.objects.filter(pk=session.pk).update(title="Gestion du temps")
    page = client.get(url)
    assert HIT not in page and "Gestion du temps" in page.content.decode()
    assert "Négociation commerciale" not in page.content.decode()
    # Raw SQL too.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE training_sessions_trainingsession SET title = %s WHERE id = %s",
            ["Prise de parole", session.pk],
        )
    client.get(url)
    assert "Prise de parole" in client.get(url).content.decode()


def test_the_dashboard_shows_a_new_session_at_once(client):
    trainer = TrainerFactory(email="julien@exemple.fr")
    TrainingSessionFactory(trainer=trainer, title="Négociation commerciale")
    login(client, trainer)
    pages = _browse(client, reverse("trainer_home"))
    assert pages[-1][HIT] == "hit"
    TrainingSessionFactory(trainer=trainer, title="Gestion du temps")
    page = client.get(reverse("trainer_home"))
    assert HIT not in page and "Gestion du temps" in page.content.decode()


def test_a_page_kept_for_one_person_is_never_given_to_another():
    julien = TrainerFactory(email="julien@exemple.fr")
    other = TrainerFactory(email="autre@exemple.fr")
    session = TrainingSessionFactory(trainer=julien, title="Négociation commerciale")
    url = reverse("session_detail", args=[session.pk])
    mine = login(Client(), julien)
    assert _browse(mine, url)[-1][HIT] == "hit"
    theirs = login(Client(), other)
    theirs.cookies["csrftoken"] = mine.cookies["csrftoken"].value  # even with the same token
    for page in _browse(theirs, url):
        assert page.status_code == 404 and "Négociation commerciale" not in page.content.decode()
    # Julien's own second login session starts afresh too.
    again = login(Client(), julien)
    assert HIT not in again.get(url)


@pytest.mark.parametrize("cache", ["per process", "Redis"])
def test_after_logging_out_the_kept_page_is_not_served(cache, request):
    if cache == "Redis":
        request.getfixturevalue("shared_cache")
    _, _, client, url = _trainer_page()
    session_cookie = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    client.cookies["sessionid"] = session_cookie  # the old cookie replayed
    page = client.get(url)
    assert page.status_code == 302 and "Négociation commerciale" not in page.content.decode()


def test_a_waiting_flash_message_is_shown_and_the_page_with_it_not_kept(client, rf):
    trainer = TrainerFactory(email="julien@exemple.fr")
    login(client, trainer)
    url = reverse("trainer_home")
    assert _browse(client, url)[-1][HIT] == "hit"
    # A message waiting in the messages cookie, as after an action's redirect.
    from django.contrib.messages.storage.cookie import CookieStorage

    request = rf.get("/")
    storage = CookieStorage(request)
    storage.add(messages.SUCCESS, "Session enregistrée.")
    response = client.get(url)  # a response object to carry the cookie
    storage.update(response)
    client.cookies["messages"] = response.cookies["messages"].value
    shown = client.get(url)
    assert HIT not in shown and "Session enregistrée." in shown.content.decode()
    after = client.get(url)
    assert "Session enregistrée." not in after.content.decode()


def test_a_request_whose_transaction_has_uncommitted_writes_does_not_use_the_cache(client):
    trainer = TrainerFactory(email="julien@exemple.fr")
    session = TrainingSessionFactory(trainer=trainer, title="Négociation commerciale")
    login(client, trainer)
    url = reverse("session_detail", args=[session.pk])
    assert _browse(client, url)[-1][HIT] == "hit"
    with transaction.atomic():
        TrainingSession.objects.filter(pk=session.pk).update(title="Gestion du temps")
        inside = client.get(url)  # same thread, same connection: sees its own write
        assert HIT not in inside and "Gestion du temps" in inside.content.decode()
        transaction.set_rollback(True)
    assert "Négociation commerciale" in client.get(url).content.decode()


def test_staff_lists_are_kept_and_follow_an_admin_change(client):
    staff = StaffFactory(email="equipe@exemple.fr")
    trainer = TrainerFactory(email="julien@exemple.fr")
    TrainingSessionFactory(trainer=trainer, title="Négociation commerciale")
    login(client, staff)
    url = reverse("admin:training_sessions_trainingsession_changelist")
    assert _browse(client, url)[-1][HIT] == "hit"
    assert _browse(client, reverse("admin:index"))[-1][HIT] == "hit"
    TrainingSessionFactory(trainer=trainer, title="Gestion du temps")
    assert "Gestion du temps" in client.get(url).content.decode()


def test_off_when_set_to_zero(client, settings):
    settings.PRIVATE_PAGE_SECONDS = 0
    trainer = TrainerFactory(email="julien@exemple.fr")
    login(client, trainer)
    assert all(HIT not in page for page in _browse(client, reverse("trainer_home")))


@pytest.fixture
def shared_cache(settings):
    """The deployed setup: Redis as the cache (its own database, never the broker's)."""
    import os

    from django.core.cache import cache

    from .conftest import require

    broker = os.environ.get("CELERY_BROKER_URL", "")
    require(broker.startswith("redis://"), "Redis requis (CELERY_BROKER_URL)")
    live = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                        "LOCATION": broker.rsplit("/", 1)[0] + "/10",
                        "KEY_PREFIX": "tests-private-page"}}  # fmt: skip
    settings.CACHES = live
    cache.clear()
    yield
    settings.CACHES = live  # a test may have pointed it at a Redis that is down
    cache.clear()


def test_with_redis_a_kept_page_costs_one_small_query_and_follows_the_login(shared_cache):
    trainer, _, client, url = _trainer_page()
    page, queries = _kept_with_queries(client, url)
    assert queries == 1  # the login session, read with the log position
    assert page[HIT] == "hit" and "Négociation commerciale" in page.content.decode()
    # Someone else's login session with the victim's other cookies: their own answer.
    other = login(Client(), TrainerFactory(email="autre@exemple.fr"))
    other.cookies["csrftoken"] = client.cookies["csrftoken"].value
    assert all(p.status_code == 404 for p in _browse(other, url))
    # A password change (on another device): this login session no longer opens the page.
    trainer.set_password("un-nouveau-mot-de-passe-2026")
    trainer.save()
    page = client.get(url)
    assert page.status_code == 302 and "Négociation commerciale" not in page.content.decode()


# --- The review's attacks (helper "review", 23/11/2026) ----------------------------------------

REDIS = "django.core.cache.backends.redis.RedisCache"
# Nothing listens on port 1: connection refused at once, as when the Redis server is down.
TIMEOUTS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
REDIS_DOWN = {"default": {"BACKEND": REDIS, "LOCATION": "redis://127.0.0.1:1/0",
                          "OPTIONS": TIMEOUTS}}  # fmt: skip


def test_redis_down_pages_and_logout_still_work(shared_cache, settings):
    _, _, client, url = _trainer_page()
    settings.CACHES = REDIS_DOWN
    page = client.get(url)
    assert page.status_code == 200 and "Négociation commerciale" in page.content.decode()
    assert client.post(reverse("logout")).status_code == 302
    assert client.get(url).status_code == 302  # logged out for good


def test_a_write_while_redis_is_down_still_makes_the_kept_page_old(shared_cache, settings):
    live = settings.CACHES
    _, session, client, url = _trainer_page()
    settings.CACHES = REDIS_DOWN
    TrainingSession.objects.filter(pk=session.pk).update(title="Gestion du temps")
    settings.CACHES = live
    page = client.get(url)
    assert HIT not in page and "Gestion du temps" in page.content.decode()


def test_a_hung_redis_does_not_hang_a_database_write_nor_a_page(shared_cache, settings):
    import socket
    import threading
    import time

    from django.db import connections

    _, session, client, url = _trainer_page()
    hung = socket.socket()
    hung.bind(("127.0.0.1", 0))
    hung.listen(16)  # accepts (backlog), never answers
    settings.CACHES = {"default": {"BACKEND": REDIS,
                                   "LOCATION": f"redis://127.0.0.1:{hung.getsockname()[1]}/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.5,
                                               "socket_timeout": 0.5}}}  # fmt: skip

    def write():
        try:
            TrainingSession.objects.filter(pk=session.pk).update(title="Gestion du temps")
        finally:
            connections.close_all()

    try:
        writer = threading.Thread(target=write, daemon=True)
        writer.start()
        writer.join(timeout=5)
        assert not writer.is_alive(), "an UPDATE still waited for Redis after 5 s"
        started = time.monotonic()
        page = client.get(url)
        assert page.status_code == 200 and "Gestion du temps" in page.content.decode()
        assert time.monotonic() - started < 5
    finally:
        hung.close()


def test_a_write_from_outside_django_makes_the_kept_page_old():
    """psql, another application, a migration: no hook of ours sees them, the log does."""
    import psycopg
    from django.db import connection as db

    _, session, client, url = _trainer_page()
    params = db.get_connection_params()
    with psycopg.connect(**params, autocommit=True) as outside:
        outside.execute(
            "UPDATE training_sessions_trainingsession SET title = 'Gestion du temps' WHERE id = %s",
            [session.pk],
        )
    page = client.get(url)
    assert HIT not in page and "Gestion du temps" in page.content.decode()


def test_each_process_keeping_its_own_pages_still_sees_every_write(settings):
    """The per-process default cache (several gunicorn workers, each its own pages): a write in
    another process is seen, as the check is the database's, not a shared counter."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "this-process"}}  # fmt: skip
    cache.clear()
    test_a_write_from_outside_django_makes_the_kept_page_old()


def test_a_new_secret_key_ends_kept_pages_as_it_ends_login_sessions(settings):
    _, _, client, url = _trainer_page()
    settings.SECRET_KEY = "une-nouvelle-clef-apres-une-fuite-" + "x" * 40
    page = client.get(url)
    assert page.status_code == 302 and "Négociation commerciale" not in page.content.decode()


def test_the_lockout_list_shows_a_new_lockout():
    staff = StaffFactory(email="equipe@exemple.fr")
    TrainerFactory(email="julien@exemple.fr")
    client = login(Client(), staff)
    url = reverse("admin:axes_accessattempt_changelist")
    pages = _browse(client, url)
    assert pages[-1][HIT] == "hit" and "julien@exemple.fr" not in pages[-1].content.decode()
    browser = Client()
    browser.get(reverse("login"))
    for _ in range(3):
        browser.post(reverse("login"), {"username": "julien@exemple.fr", "password": "faux"})
    page = client.get(url)
    assert HIT not in page and "julien@exemple.fr" in page.content.decode()
