"""Logged-in pages kept for their viewer until anything is written (issue 17,
ganapati/privatecache.py): never given to someone else, never older than the database.

Transactional tests: the cache only follows committed writes, as in production."""

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
    settings.PRIVATE_PAGE_SECONDS = 60


def _browse(client, url, times=3):
    """A browser's visits: the first gets the CSRF cookie, the next ones can be kept."""
    return [client.get(url) for _ in range(times)]


def test_a_trainer_gets_the_same_page_from_the_cache_until_a_write_changes_it(
    client, django_assert_max_num_queries
):
    trainer = TrainerFactory(email="julien@exemple.fr")
    session = TrainingSessionFactory(trainer=trainer, title="Négociation commerciale")
    login(client, trainer)
    url = reverse("session_detail", args=[session.pk])
    first, second, third = _browse(client, url)
    assert HIT not in first and HIT not in second
    assert third[HIT] == "hit" and third.content == second.content
    assert "Content-Security-Policy" in third  # the outer middlewares still run
    with django_assert_max_num_queries(2):  # login session and user, nothing of the page
        client.get(url)
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


def test_after_logging_out_the_kept_page_is_not_served():
    trainer = TrainerFactory(email="julien@exemple.fr")
    session = TrainingSessionFactory(trainer=trainer, title="Négociation commerciale")
    client = login(Client(), trainer)
    url = reverse("session_detail", args=[session.pk])
    assert _browse(client, url)[-1][HIT] == "hit"
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


def test_off_without_a_shared_cache(client, settings):
    settings.PRIVATE_PAGE_SECONDS = 0
    trainer = TrainerFactory(email="julien@exemple.fr")
    login(client, trainer)
    assert all(HIT not in page for page in _browse(client, reverse("trainer_home")))


def test_the_settings_keep_pages_only_with_a_cache_every_process_shares(tmp_path):
    import json

    from .test_settings_and_deploy import run_django

    code = (
        "import json, django; django.setup(); from django.conf import settings as s; "
        "print(json.dumps([s.PRIVATE_PAGE_SECONDS, s.SESSION_ENGINE]))"
    )
    per_process = run_django({"DEBUG": "1"}, code, tmp_path)
    assert per_process.returncode == 0, per_process.stderr
    assert json.loads(per_process.stdout.splitlines()[-1]) == [
        0, "django.contrib.sessions.backends.db"]  # fmt: skip
    shared = run_django({"DEBUG": "1", "CACHE_URL": "redis://127.0.0.1:6379/9"}, code, tmp_path)
    assert shared.returncode == 0, shared.stderr
    assert json.loads(shared.stdout.splitlines()[-1]) == [
        60, "django.contrib.sessions.backends.cached_db"]  # fmt: skip


@pytest.mark.parametrize(
    ("sql", "watched"),
    [
        ('UPDATE "training_sessions_trainingsession" SET "title" = %s', True),
        ('INSERT INTO "billing_invoice" ("number") VALUES (%s)', True),
        ('DELETE FROM "funding_pec" WHERE "id" = %s', True),
        ("  update billing_invoicecounter set value = value + 1 returning value", True),
        ("WITH x AS (UPDATE a SET b = 1 RETURNING id) SELECT * FROM x", True),
        ('UPDATE "django_session" SET "expire_date" = %s', False),
        ('INSERT INTO "axes_accesslog" ("username") VALUES (%s)', False),
        ('SELECT "id" FROM "training_sessions_trainingsession" FOR UPDATE', False),
        ("WITH x AS (SELECT 1) SELECT * FROM x", False),
    ],
)
def test_which_statements_make_kept_pages_old(sql, watched):
    from ganapati.privatecache import _is_watched_write

    assert _is_watched_write(sql) is watched


@pytest.fixture
def shared_cache(settings):
    """The deployed setup: Redis for the cache and the login sessions (cached_db)."""
    import os

    from .conftest import require

    broker = os.environ.get("CELERY_BROKER_URL", "")
    require(broker.startswith("redis://"), "Redis requis (CELERY_BROKER_URL)")
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": broker.rsplit("/", 1)[0] + "/10",
                                   "KEY_PREFIX": "tests-private-page"}}  # fmt: skip
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def test_with_redis_a_kept_page_costs_no_query_and_follows_the_login(
    shared_cache, django_assert_num_queries
):
    trainer = TrainerFactory(email="julien@exemple.fr")
    session = TrainingSessionFactory(trainer=trainer, title="Négociation commerciale")
    client = login(Client(), trainer)  # a new client: the session engine of these settings
    url = reverse("session_detail", args=[session.pk])
    assert _browse(client, url)[-1][HIT] == "hit"
    with django_assert_num_queries(0):  # login session, generation and page: one Redis read
        page = client.get(url)
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


def test_with_redis_a_logout_ends_the_kept_pages(shared_cache):
    trainer = TrainerFactory(email="julien@exemple.fr")
    session = TrainingSessionFactory(trainer=trainer, title="Négociation commerciale")
    client = login(Client(), trainer)
    url = reverse("session_detail", args=[session.pk])
    assert _browse(client, url)[-1][HIT] == "hit"
    session_cookie = client.cookies["sessionid"].value
    client.post(reverse("logout"))
    client.cookies["sessionid"] = session_cookie
    page = client.get(url)
    assert page.status_code == 302 and "Négociation commerciale" not in page.content.decode()
