"""Writes of the help centre."""

from __future__ import annotations

from django.db import transaction

from ..models import HelpArticle, User
from ..richtext import plain_text
from ..search import normalize
from ..services import log_action


def search_text(article: HelpArticle) -> str:
    return normalize(" ".join([article.title, article.summary, plain_text(article.body)]))


@transaction.atomic
def help_article_save(
    *, article: HelpArticle, actor: User | None, changed: list[str] | None = None
) -> HelpArticle:
    """Create or edit an article; its normalised search column is rewritten with it."""
    created = article.pk is None
    article.search_text = search_text(article)
    article.full_clean()
    article.save()
    log_action(
        article,
        "help_article.created" if created else "help_article.updated",
        actor=actor,
        data={"fields": changed or [], "published": article.published},
    )
    return article
