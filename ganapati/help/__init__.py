"""The help centre: articles in Markdown written by staff, public pages with an accent-blind
search, and the `{% help_link %}` tag that points a page to the article it needs."""
