from django.utils.functional import SimpleLazyObject

from .selectors import organisation_get_or_none


def organisation(request):
    # Lazy: pages that do not show the organisation cost no query.
    return {"organisation": SimpleLazyObject(organisation_get_or_none)}
