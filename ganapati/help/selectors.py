"""Reads of the help centre. Only published articles are public; staff may preview the rest."""

from __future__ import annotations

from itertools import groupby

from django.db.models import QuerySet
from django.http import Http404

from ..models import HelpArticle, HelpCategory
from ..search import filter_words


def help_articles_published() -> QuerySet[HelpArticle]:
    return HelpArticle.objects.filter(published=True)


def help_search(query: str) -> QuerySet[HelpArticle]:
    """Published articles containing every word of the query, accents and case aside."""
    return filter_words(help_articles_published(), "search_text", query)[:50]


def help_by_category(articles) -> list[tuple[str, list[HelpArticle]]]:
    """(category label, articles) in the categories' order."""
    order = {value: index for index, value in enumerate(HelpCategory.values)}
    ordered = sorted(articles, key=lambda a: (order.get(a.category, 99), a.position, a.title))
    return [
        (HelpCategory(category).label, list(items))
        for category, items in groupby(ordered, key=lambda a: a.category)
    ]


def help_article_get_for(*, user, slug: str) -> HelpArticle:
    articles = HelpArticle.objects.all() if user.is_staff else help_articles_published()
    article = articles.filter(slug=slug).first()
    if article is None:
        raise Http404("Cet article n'existe pas ou n'est pas publié.")
    return article


def help_links(slugs: list[str]) -> list[HelpArticle]:
    """The published articles among `slugs`, in the order given (for `{% help_link %}`)."""
    articles = help_articles_published().filter(slug__in=slugs).only("slug", "title")
    found = {article.slug: article for article in articles}
    return [found[slug] for slug in slugs if slug in found]
