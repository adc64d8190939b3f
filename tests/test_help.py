"""The help centre: articles, accent-blind search, safe Markdown, and the help links in pages."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.template import Context, Template

from ganapati.help.demo import ARTICLES, load_help_articles
from ganapati.help.services import help_article_save
from ganapati.models import AuditEvent, HelpArticle
from ganapati.richtext import render_markdown
from ganapati.search import filter_words, normalize

from .conftest import login
from .factories import TrainingSessionFactory


def article(**values) -> HelpArticle:
    defaults = {
        "title": "Négocier avec son OPCO",
        "slug": "negocier",
        "category": "funding",
        "summary": "Préparer la négociation de la prise en charge.",
        "body": "## Avant\n\nRelisez les **critères** de l'OPCO.",
        "published": True,
    }
    return help_article_save(article=HelpArticle(**{**defaults, **values}), actor=None)


# --- normalize -------------------------------------------------------------------------------


def test_normalize_drops_accents_case_ligatures_and_extra_spaces():
    assert normalize("  Négociation  ÉTÉ\tŒuvre  l’OPCO ") == "negociation ete oeuvre l'opco"
    assert normalize("Cœur, ÆTHER, Straße") == "coeur, aether, strasse"
    assert normalize(None) == "" and normalize("") == ""


def test_normalize_is_idempotent():
    text = "Déjà  Noël à l'Opcommerce"
    assert normalize(normalize(text)) == normalize(text)


def test_filter_words_needs_every_word_of_the_query(db):
    article(slug="a", title="Subrogation de paiement", body="Texte.", summary="")
    article(slug="b", title="Paiement du formateur", body="Texte.", summary="")
    rows = HelpArticle.objects.all()
    assert {a.slug for a in filter_words(rows, "search_text", "PAIEMENT")} == {"a", "b"}
    assert [a.slug for a in filter_words(rows, "search_text", "paiement subrogation")] == ["a"]
    assert filter_words(rows, "search_text", "   ").count() == 2


# --- search and pages ------------------------------------------------------------------------


def test_a_search_without_accents_finds_an_article_with_accents(client, db):
    article()
    response = client.get("/aide/", {"q": "negociation"})
    assert response.status_code == 200
    assert "Négocier avec son OPCO" in response.content.decode()


def test_the_search_ignores_case_and_accents_in_the_query_too(client, db):
    article()
    for query in ["NÉGOCIATION", "Critères", "criteres opco"]:
        assert "Négocier avec son OPCO" in client.get("/aide/", {"q": query}).content.decode()
    assert "Aucun article ne contient" in client.get("/aide/", {"q": "facturx"}).content.decode()


def test_the_search_reads_the_text_not_the_markdown_markup(db):
    saved = article(body="Lien vers [le portail](https://exemple.fr/portail) et **gras**")
    assert "exemple.fr" not in saved.search_text
    assert "le portail" in saved.search_text and "**" not in saved.search_text


def test_unpublished_articles_are_not_listed_found_or_shown_to_visitors(client, db):
    article(published=False)
    assert "Négocier" not in client.get("/aide/").content.decode()
    assert "Négocier" not in client.get("/aide/", {"q": "negocier"}).content.decode()
    assert client.get("/aide/negocier/").status_code == 404


def test_staff_preview_an_unpublished_article(client, staff):
    article(published=False)
    response = login(client, staff).get("/aide/negocier/")
    assert response.status_code == 200
    assert "Aperçu : cet article n'est pas publié" in response.content.decode()


def test_the_help_centre_lists_published_articles_by_category_for_anyone(client, db):
    article()
    article(slug="facturer", title="Les factures", category="billing")
    page = client.get("/aide/").content.decode()
    assert page.index("Comprendre le financement") < page.index("Facturation et contrôle")
    assert 'href="/aide/facturer/"' in page


def test_an_article_page_shows_its_text_review_date_and_the_ways_to_get_help(client, db):
    article(last_reviewed="2026-09-15")
    page = client.get("/aide/negocier/").content.decode()
    assert "<h1>Négocier avec son OPCO</h1>" in page
    assert "<h2>Avant</h2>" in page and "<strong>critères</strong>" in page
    assert "Dernière relecture le 15 septembre 2026" in page
    assert 'href="/trouver-mon-opco/"' in page
    assert 'href="/rendez-vous/?depuis=aide"' in page


# --- Markdown ---------------------------------------------------------------------------------


def test_markdown_is_rendered_and_raw_html_never_passes():
    html = render_markdown(
        '# Titre\n\nTexte <script>alert(1)</script> <b onclick="x()">gras</b>\n\n'
        "<div style='color:red'>bloc</div>\n\n[piège](javascript:alert(1)) [ok](/aide/pec/)"
    )
    assert "<script" not in html and "<b" not in html and "<div" not in html
    assert "javascript:" not in html
    # Shown as typed, as text.
    assert "&lt;script&gt;" in html and '&lt;b onclick="x()"&gt;' in html
    assert "<h2>Titre</h2>" in html  # the page's title is the only h1
    assert '<a href="/aide/pec/" rel="noopener noreferrer">ok</a>' in html


def test_markdown_keeps_lists_tables_and_links():
    html = render_markdown(
        "- un\n- deux\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[site](https://x.fr)"
    )
    assert "<ul>" in html and "<li>un</li>" in html
    assert "<table>" in html and "<td>1</td>" in html
    assert 'href="https://x.fr"' in html


# --- admin ----------------------------------------------------------------------------------


def test_an_article_saved_in_the_admin_gets_its_search_column_and_an_audit_event(client, staff):
    response = login(client, staff).post(
        "/admin/ganapati/helparticle/add/",
        {
            "title": "Émargement électronique",
            "slug": "emargement-electronique",
            "category": "session",
            "position": "0",
            "summary": "",
            "body": "Signature **à chaque demi-journée**.",
            "published": "on",
            "last_reviewed": "2026-10-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    saved = HelpArticle.objects.get(slug="emargement-electronique")
    assert saved.search_text == "emargement electronique signature a chaque demi-journee."
    event = AuditEvent.objects.get(action="help_article.created")
    assert event.actor == staff and event.object_id == str(saved.pk)


# --- help_link ------------------------------------------------------------------------------


def render(source: str) -> str:
    return Template("{% load help %}" + source).render(Context({}))


def test_help_link_renders_the_published_article_and_nothing_otherwise(db):
    assert render('{% help_link "pec" %}') == ""
    article(slug="pec", title="Qu'est-ce qu'une PEC ?")
    assert render('{% help_link "pec" %}') == (
        '<p class="help-link"><a href="/aide/pec/">Aide : Qu&#x27;est-ce qu&#x27;une PEC ?</a></p>'
    )
    HelpArticle.objects.filter(slug="pec").update(published=False)
    assert render('{% help_link "pec" %}') == ""


def test_help_link_with_several_slugs_lists_the_published_ones_in_order(db):
    article(slug="subrogation", title="La subrogation")
    article(slug="pec", title="La PEC")
    html = render('{% help_link "pec" "absent" "subrogation" %}')
    assert html.index("La PEC") < html.index("La subrogation") and "absent" not in html


def test_the_session_creation_page_links_to_its_help_article(client, trainer):
    load_help_articles()
    session = TrainingSessionFactory(trainer=trainer)
    page = login(client, trainer).get(f"/formateur/sessions/{session.pk}/formation/")
    assert "Aide : Comment créer ma session de formation ?" in page.content.decode()
    dates = client.get(f"/formateur/sessions/{session.pk}/dates/").content.decode()
    assert "Aide : Feuilles d&#x27;émargement : les règles à respecter" in dates


def test_every_help_link_in_a_page_has_a_demo_article():
    used = set()
    for path in Path(settings.BASE_DIR, "templates").rglob("*.html"):
        for tag in re.findall(r"{% help_link ([^%]+)%}", path.read_text()):
            used |= set(re.findall(r'"([^"]+)"', tag))
    assert used >= {"pec", "subrogation", "agefice-fifpl", "creer-une-session", "emargement"}
    assert used <= {a["slug"] for a in ARTICLES}


# --- demo -----------------------------------------------------------------------------------


def test_the_demo_articles_are_published_once_and_cover_the_original_flow(db):
    assert load_help_articles() == len(ARTICLES)
    assert load_help_articles() == 0
    titles = set(HelpArticle.objects.filter(published=True).values_list("title", flat=True))
    assert {
        "Qu'est-ce qu'un OPCO ?",
        "Le fonctionnement d'une session financée par un OPCO",
        "Comment créer ma session de formation ?",
        "Comment faire ma demande de prise en charge AGEFICE ou FIFPL ?",
        "Session : de l'entrée en formation à la facturation",
    } <= titles


@pytest.mark.parametrize("slug", [a["slug"] for a in ARTICLES])
def test_each_demo_article_renders_and_its_internal_links_lead_somewhere(client, db, slug):
    load_help_articles()
    page = client.get(f"/aide/{slug}/")
    assert page.status_code == 200
    for link in re.findall(r'href="(/(?:aide|trouver-mon-opco)[^"]*)"', page.content.decode()):
        assert client.get(link).status_code == 200, link
