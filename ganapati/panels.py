"""Panels: how a page of a lower app shows data of a higher one, without importing it.

A page declares named slots in its template (`{% panels "session_detail.trainer" session %}`);
a higher app contributes a panel to a slot in its `AppConfig.ready()`: a template and a
function that returns the panel's context for the object shown (None: nothing to show). List
pages use row slots (`{% row_panels "trainer_home.row" sessions as extras %}`): the function
receives the whole page of objects at once, so that a panel costs a constant number of queries
whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.template.context import make_context
from django.template.loader import get_template, render_to_string
from django.utils.safestring import SafeString, mark_safe


@dataclass(frozen=True)
class Panel:
    slot: str
    template: str
    context: Callable[..., Any]
    order: int = 100
    rows: bool = False


_PANELS: dict[str, list[Panel]] = {}


def _add(panel: Panel) -> None:
    panels = [p for p in _PANELS.get(panel.slot, []) if p.template != panel.template]
    panels.append(panel)
    _PANELS[panel.slot] = sorted(panels, key=lambda p: p.order)


def panel(slot: str, *, template: str, order: int = 100):
    """Decorate `context(request, obj) -> dict | None` to contribute a panel to `slot`."""

    def decorator(func):
        _add(Panel(slot, template, func, order))
        return func

    return decorator


def row_panel(slot: str, *, template: str, order: int = 100):
    """Decorate `context(request, objects) -> {pk: dict}` to contribute to each row of a list."""

    def decorator(func):
        _add(Panel(slot, template, func, order, rows=True))
        return func

    return decorator


def slot_panels(slot: str) -> list[Panel]:
    return list(_PANELS.get(slot, []))


def render_slot(slot: str, request, obj) -> SafeString:
    parts = []
    for item in slot_panels(slot):
        context = item.context(request, obj)
        if context is not None:
            parts.append(render_to_string(item.template, {**context, "object": obj}, request))
    return mark_safe("".join(parts))  # noqa: S308 - rendered by templates that escape


def render_rows(slot: str, request, objects) -> dict[Any, SafeString]:
    objects = list(objects)
    html: dict[Any, list[str]] = {obj.pk: [] for obj in objects}
    for item in slot_panels(slot):
        contexts = item.context(request, objects)
        rows = [(obj, contexts.get(obj.pk)) for obj in objects]
        if all(context is None for _, context in rows):
            continue
        # One template and one request context for the whole list: the context processors run
        # once a page, not once a row (render_to_string() per row ran them for each).
        template = get_template(item.template).template
        context = make_context({}, request, autoescape=template.engine.autoescape)
        with context.bind_template(template):
            for obj, values in rows:
                if values is not None:
                    with context.push({**values, "object": obj}):
                        html[obj.pk].append(template.render(context))
    return {pk: mark_safe("".join(parts)) for pk, parts in html.items()}  # noqa: S308
