from datetime import timedelta

from django import template

from ganapati import formats
from ganapati.fields import format_minutes

register = template.Library()
NARROW_NBSP = "\u202f"


@register.filter
def duration_fr(value) -> str:
    """A timedelta in words: "30 minutes", "1 heure", "2 heures 15 minutes"."""
    if not isinstance(value, timedelta):
        return ""
    minutes = int(value.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(f"{hours} heure{'s' if hours > 1 else ''}")
    if minutes or not hours:
        parts.append(f"{minutes} minute{'s' if minutes > 1 else ''}")
    return " ".join(parts)


@register.filter
def euros(value) -> str:
    """Decimal money the French way: 1 234,50 €."""
    return formats.euros(value)


@register.filter
def nombre(value, decimals=None) -> str:
    """A number the French way: 1 700, 13,5; `|nombre:2` → 13,50."""
    return formats.number_fr(value, None if decimals in (None, "") else int(decimals))


@register.filter
def de(name) -> str:
    """ "de" before a name, with elision: d'Acme, d'OPCO ATLAS, de Constructys."""
    return formats.de(name)


@register.filter
def minutes(value) -> str:
    """Integer minutes the French way: 200 → "3 h 20", 420 → "7 h", 45 → "0 h 45"."""
    if value is None or value == "":
        return "—"
    return format_minutes(value)


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None


@register.filter
def split(value: str) -> list[str]:
    return value.split()


@register.filter
def field(form, name: str):
    """A form's bound field by name, for templates that lay fields out in groups."""
    return form[name]


@register.filter
def action_fr(code: str) -> str:
    from ganapati.labels import ACTIONS

    return ACTIONS.get(code, code)


@register.filter
def status_fr(code: str) -> str:
    from ganapati.labels import STATUSES

    return STATUSES.get(code, code)


@register.filter
def sub(value, other):
    """value − other, for amounts (Decimal)."""
    from decimal import Decimal

    return Decimal(str(value)) - Decimal(str(other))


@register.simple_tag(takes_context=True)
def panels(context, slot: str, obj):
    """The panels higher apps contribute to this slot of the page (see ganapati.panels)."""
    from ganapati.panels import render_slot

    return render_slot(slot, context.get("request"), obj)


@register.simple_tag(takes_context=True)
def row_panels(context, slot: str, objects):
    """{pk: html} of the panels contributed to each row of a list (one call per page)."""
    from ganapati.panels import render_rows

    return render_rows(slot, context.get("request"), objects)
