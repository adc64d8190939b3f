"""Request checks shared by every view."""

from __future__ import annotations

from django.core.exceptions import BadRequest


class RejectNulCharactersMiddleware:
    """A NUL character in a query string or a posted field is never legitimate and PostgreSQL
    refuses it in text (a 500 wherever a view reads the raw value). Refused here for every
    view at once: the French 400 page (ganapati.views.error_400), nothing saved."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _has_nul(request.GET):
            raise BadRequest("Caractère nul dans l'adresse.")
        form = request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data")
        if request.method == "POST" and form and _has_nul(request.POST):
            raise BadRequest("Caractère nul dans le formulaire.")
        return self.get_response(request)


def _has_nul(data) -> bool:
    return any("\x00" in key or any("\x00" in v for v in values) for key, values in data.lists())
