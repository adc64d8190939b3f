from django.shortcuts import render

from ..richtext import render_markdown
from . import selectors


def help_index(request):
    """Public: every published article by category, or the results of a search."""
    query = request.GET.get("q", "")[:100].strip()
    if query:
        results = list(selectors.help_search(query))
        groups = []
    else:
        results = []
        groups = selectors.help_by_category(selectors.help_articles_published())
    return render(
        request, "ganapati/help/index.html", {"query": query, "results": results, "groups": groups}
    )


def help_article(request, slug: str):
    article = selectors.help_article_get_for(user=request.user, slug=slug)
    related = [
        a
        for a in selectors.help_articles_published().filter(category=article.category)
        if a.pk != article.pk
    ]
    return render(
        request,
        "ganapati/help/article.html",
        {"article": article, "body": render_markdown(article.body), "related": related},
    )
