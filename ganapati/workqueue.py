"""The staff work queue on the back-office home: what waits for staff, oldest first.

Like panels, a registry: each app contributes the queues and charts it owns in its
`AppConfig.ready()` (funding: PEC to check; billing: sessions to invoice, overdue invoices,
payouts to make; documents: failed renders; the core: failed e-mails), so the admin site in the
core never imports an app above it. A queue returns its count and its oldest rows (a bounded
query each); a chart returns labelled values that the home page draws as SVG, server-side.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

ITEMS_SHOWN = 5


@dataclass
class Item:
    label: str
    url: str
    since: datetime | None = None


@dataclass
class QueueResult:
    count: int
    items: list[Item] = field(default_factory=list)


@dataclass(frozen=True)
class Queue:
    key: str
    title: str
    action: str  # what staff do, as a link text: "Vérifier", "Facturer"…
    list_url: str  # the admin list's URL name
    list_query: str  # its filter: "status__exact=uploaded"
    fetch: Callable[[int], QueueResult]
    order: int = 100


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    fetch: Callable[[], list[tuple[str, Decimal | int]]]
    unit: str = ""  # "€" for money
    order: int = 100


_QUEUES: dict[str, Queue] = {}
_CHARTS: dict[str, Chart] = {}


def oldest(rows, limit: int) -> tuple[int, list]:
    """(how many rows wait, the first `limit` of them): the rows are read only when the count
    says there are some (most queues are empty most of the time: one COUNT on an index)."""
    count = rows.count()
    return count, (list(rows[:limit]) if count else [])


def queue(
    key: str, *, title: str, action: str, list_url: str, list_query: str = "", order: int = 100
):
    """Decorate `fetch(limit) -> QueueResult` to add a queue to the staff home."""

    def decorator(func):
        _QUEUES[key] = Queue(key, title, action, list_url, list_query, func, order)
        return func

    return decorator


def chart(key: str, *, title: str, unit: str = "", order: int = 100):
    """Decorate `fetch() -> [(label, value)]` to add a bar chart to the staff home."""

    def decorator(func):
        _CHARTS[key] = Chart(key, title, func, unit, order)
        return func

    return decorator


def queues() -> list[dict]:
    from django.urls import reverse

    out = []
    for q in sorted(_QUEUES.values(), key=lambda q: q.order):
        result = q.fetch(ITEMS_SHOWN)
        url = f"{reverse(q.list_url)}?{q.list_query}"
        out.append({"key": q.key, "title": q.title, "action": q.action, "url": url,
                    "count": result.count, "items": result.items})  # fmt: skip
    return out


# The SVG is drawn here, as numbers written out (a template localises every int it prints, a
# sizeable part of the staff home); the template only writes the elements.
WIDTH, BAR_AREA, LABEL_W = 360, 24, 130


def charts() -> list[dict]:
    from .formats import euros, number_fr

    out = []
    for c in sorted(_CHARTS.values(), key=lambda c: c.order):
        rows = c.fetch()
        top = max((float(v) for _, v in rows), default=0) or 1
        bars = []
        for i, (label, value) in enumerate(rows):
            length = round((WIDTH - LABEL_W - 70) * float(value) / top)
            shown = euros(value) if c.unit == "€" else number_fr(value)
            bars.append({"label": label, "value": shown, "rect_y": str(i * BAR_AREA + 4),
                         "width": str(length), "text_x": str(LABEL_W + length + 4),
                         "text_y": str(i * BAR_AREA + 16)})  # fmt: skip
        out.append({"key": c.key, "title": c.title, "bars": bars, "label_w": str(LABEL_W),
                    "width": str(WIDTH), "height": str(max(len(rows), 1) * BAR_AREA)})  # fmt: skip
    return out
