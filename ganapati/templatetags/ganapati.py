from datetime import timedelta

from django import template
from django.utils import timezone

register = template.Library()


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
def local(value, fmt: str = "%d/%m/%Y %H:%M") -> str:
    """A datetime in Europe/Paris, formatted."""
    if value is None:
        return ""
    return timezone.localtime(value).strftime(fmt)
