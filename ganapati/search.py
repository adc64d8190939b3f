"""Accent- and case-insensitive search, the same on SQLite and PostgreSQL.

Neither database folds accents the same way (SQLite's LIKE only folds ASCII case; PostgreSQL
needs the `unaccent` extension), so a list that wants "negociation" to find "négociation" stores
a normalised copy of its searchable text next to the original, written with `normalize()`, and
searches that column with the normalised words of the query (`filter_words`).
"""

from __future__ import annotations

import unicodedata

from django.db.models import Q, QuerySet

# Letters NFKD does not decompose into a base letter plus accents.
_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae", "ß": "ss", "ø": "o", "đ": "d", "ł": "l"})
# Apostrophes and dashes that people type in different ways.
_PUNCTUATION = str.maketrans({"’": "'", "‘": "'", "‐": "-", "–": "-", "—": "-"})


def normalize(text: str | None) -> str:
    """Lower case, without accents or ligatures, whitespace collapsed: "Œuvre  Négociée" →
    "oeuvre negociee". Idempotent."""
    if not text:
        return ""
    folded = text.casefold().translate(_LIGATURES).translate(_PUNCTUATION)
    decomposed = unicodedata.normalize("NFKD", folded)
    stripped = "".join(char for char in decomposed if not unicodedata.combining(char))
    return " ".join(stripped.split())


def query_words(query: str | None, *, limit: int = 8) -> list[str]:
    """The normalised words of a search query (at most `limit`, duplicates dropped)."""
    words: list[str] = []
    for word in normalize(query).split():
        if word not in words:
            words.append(word)
    return words[:limit]


def filter_words(queryset: QuerySet, field: str, query: str | None) -> QuerySet:
    """Rows whose normalised `field` contains every word of `query` (all rows if it has none)."""
    condition = Q()
    for word in query_words(query):
        condition &= Q(**{f"{field}__contains": word})
    return queryset.filter(condition)
