from django.utils.functional import SimpleLazyObject

from .selectors import organisation_for_pages


def organisation(request):
    # Lazy: pages that do not show the organisation cost nothing; the others share one
    # read per process (selectors.organisation_for_pages).
    return {"organisation": SimpleLazyObject(organisation_for_pages)}
