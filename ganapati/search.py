"""Accent- and case-insensitive search, the same on SQLite and PostgreSQL.

Neither database folds accents the same way (SQLite's LIKE only folds ASCII case; PostgreSQL
needs the `unaccent` extension), so a list that wants "negociation" to find "négociation" stores
a normalised copy of its searchable text next to the original, written with `normalize()`, and
searches that column with the normalised words of the query (`filter_words`).
"""

from __future__ import annotations

import unicodedata

from django.db.backends.signals import connection_created
from django.db.models import Func, Q, QuerySet, TextField

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


# --- The same folding inside the database, for lists searched on columns that have no copy ---

# Accented letters folded by the database, one for one (PostgreSQL's translate(), SQLite through
# a Python function); the two ligatures and the typographic apostrophe are replaced around it.
# Upper case is folded too: lower() only knows ASCII under the "C" collation.
_FOLD_FROM = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝŸ‘’‐–—"
_FOLD_TO = "aaaaaaceeeeiiiinooooouuuuyyaaaaaaceeeeiiiinooooouuuuyy''---"


class Fold(Func):
    """normalize() in SQL: lower case, accents and ligatures folded. Works on PostgreSQL (no
    extension needed) and SQLite (a function registered on each connection)."""

    output_field = TextField()

    def as_sql(self, compiler, connection, **extra_context):  # SQLite and others
        return super().as_sql(compiler, connection, function="ganapati_fold", **extra_context)

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        folded = (
            "replace(replace(lower(replace(replace("
            f"translate(COALESCE(({sql})::text, ''), %s, %s), "
            "'Œ', 'oe'), 'Æ', 'ae')), 'œ', 'oe'), 'æ', 'ae')"
        )
        return folded, (*params, _FOLD_FROM, _FOLD_TO)


def _register_sqlite_fold(sender, connection, **kwargs):
    if connection.vendor == "sqlite":
        connection.connection.create_function("ganapati_fold", 1, normalize, deterministic=True)


connection_created.connect(_register_sqlite_fold, dispatch_uid="ganapati_fold")


def search_fields(queryset: QuerySet, fields: list[str], query: str | None) -> QuerySet:
    """Rows where every word of `query` appears, accents and case ignored, in one of `fields`
    (related fields allowed: "company__legal_name"). The database does the folding."""
    words = query_words(query)
    if not words:
        return queryset
    names = []
    for i, field in enumerate(fields):
        name = f"_fold_{i}"
        queryset = queryset.alias(**{name: Fold(field)})
        names.append(name)
    condition = Q()
    for word in words:
        any_field = Q()
        for name in names:
            any_field |= Q(**{f"{name}__contains": word})
        condition &= any_field
    return queryset.filter(condition)
