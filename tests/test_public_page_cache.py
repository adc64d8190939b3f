"""Public pages from the cache for visitors without cookies (issue 17, ganapati/pagecache.py):
never anything personal, and a change shows at once."""

import pytest
from django.urls import reverse

from sessions.models import Programme

from .conftest import login
from .factories import TRAINING

pytestmark = pytest.mark.django_db


def _programme(trainer, title, published=True):
    return Programme.objects.create(trainer=trainer, **{**TRAINING, "title": title},
                                    published=published)  # fmt: skip


def test_a_visitor_without_cookies_gets_the_catalogue_from_the_cache_until_it_changes(
    client, trainer, django_assert_num_queries
):
    _programme(trainer, "Négociation commerciale")
    first = client.get(reverse("catalogue"))
    assert first.status_code == 200 and "Négociation commerciale" in first.content.decode()
    assert not first.cookies
    with django_assert_num_queries(0):  # served from the cache: not one query
        again = client.get(reverse("catalogue"))
    assert again.status_code == 200 and again.content == first.content
    assert again["Content-Type"] == "text/html; charset=utf-8"
    assert "Content-Security-Policy" in again  # the middlewares still run around it
    assert "Cookie" in again["Vary"] and "Cookie" in first["Vary"]
    # A new programme published, an old one withdrawn: the next visitor sees both at once.
    _programme(trainer, "Gestion du temps")
    Programme.objects.get(title="Négociation commerciale").delete()
    page = client.get(reverse("catalogue")).content.decode()
    assert "Gestion du temps" in page and "Négociation commerciale" not in page


def test_each_query_and_page_is_its_own_entry(client, trainer):
    _programme(trainer, "Négociation commerciale")
    _programme(trainer, "Gestion du temps")
    client.get(reverse("catalogue"))
    found = client.get(reverse("catalogue"), {"q": "gestion"}).content.decode()
    assert "Gestion du temps" in found and "Négociation commerciale" not in found


def test_a_logged_in_visitor_is_never_served_the_anonymous_page_nor_cached_for_others(
    client, trainer, django_assert_max_num_queries
):
    programme = _programme(trainer, "Négociation commerciale")
    url = reverse("programme_public", args=[programme.pk])
    anonymous = client.get(url).content.decode()
    assert "Se déconnecter" not in anonymous
    login(client, trainer)
    mine = client.get(url).content.decode()
    assert trainer.email in mine or "Se déconnecter" in mine  # their own header, rendered
    client.logout()
    client.cookies.clear()
    again = client.get(url).content.decode()
    assert trainer.email not in again and "Se déconnecter" not in again


def test_not_found_and_unpublished_pages_are_not_cached(client, trainer):
    hidden = _programme(trainer, "Brouillon", published=False)
    url = reverse("programme_public", args=[hidden.pk])
    assert client.get(url).status_code == 404
    hidden.published = True
    hidden.save()
    assert client.get(url).status_code == 200


def test_switched_off_by_setting(client, trainer, settings, django_assert_max_num_queries):
    settings.PUBLIC_PAGE_SECONDS = 0
    _programme(trainer, "Négociation commerciale")
    client.get(reverse("catalogue"))
    with django_assert_max_num_queries(10) as captured:
        client.get(reverse("catalogue"))
    assert len(captured.captured_queries) > 0
