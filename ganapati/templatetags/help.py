"""`{% help_link "pec" %}`: a link to the help article a page needs, only once it is published.

Several slugs give a short list: `{% help_link "pec" "subrogation" %}`.
"""

from django import template
from django.utils.html import format_html, format_html_join

register = template.Library()


@register.simple_tag
def help_link(*slugs: str) -> str:
    from ganapati.help.selectors import help_links

    articles = help_links(list(slugs))
    if not articles:
        return ""
    if len(articles) == 1:
        article = articles[0]
        return format_html(
            '<p class="help-link"><a href="{}">Aide : {}</a></p>',
            article.get_absolute_url(),
            article.title,
        )
    items = format_html_join(
        "", '<li><a href="{}">{}</a></li>', ((a.get_absolute_url(), a.title) for a in articles)
    )
    return format_html('<div class="help-link"><p>Aide :</p><ul>{}</ul></div>', items)
