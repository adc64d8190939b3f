"""URLs of bench/pages.py: a minimal Django view (no database, no template), the yardstick,
served by the same gunicorn as the project's pages."""

from django.http import HttpResponse
from django.urls import include, path


def minimal(request):
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path("__bench__/minimal/", minimal),
    path("", include("ganapati.urls")),
]
