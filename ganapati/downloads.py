"""Serving a stored file to the person who may have it, without tying a web worker to a slow
client for minutes.

Rights are checked before this is called (ganapati/files.py and the owning app's selector);
this only decides *how* the bytes travel:

- S3 storage: a redirect to a signed URL of the bucket valid for a few minutes
  (``DOWNLOAD_URL_MAX_AGE``), with the file name and type the browser must use. The bucket
  serves the bytes, however slow the client; the URL names one object and expires.
- Local disk behind nginx: ``DOWNLOAD_ACCEL_PREFIX`` (e.g. ``/_media/``, an ``internal``
  location aliased to MEDIA_ROOT) makes nginx send the file (``X-Accel-Redirect``).
- Otherwise Django streams the file itself (``FileResponse``). Served by gunicorn's threaded
  workers (ganapati/gunicorn_conf.py), a long download is not cut at the worker timeout:
  only a sync worker is killed when one request outlasts it (tests/test_slow_download.py).
"""

from __future__ import annotations

from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.utils.http import content_disposition_header


def stored_file_response(name: str, *, filename: str, content_type: str, storage=None):
    storage = storage or default_storage
    disposition = content_disposition_header(True, filename)
    max_age = getattr(settings, "DOWNLOAD_URL_MAX_AGE", 300)
    if hasattr(storage, "bucket_name"):  # django-storages' S3Storage
        url = storage.url(
            name,
            parameters={"ResponseContentDisposition": disposition,
                        "ResponseContentType": content_type},
            expire=max_age,
        )  # fmt: skip
        response = HttpResponseRedirect(url)
        response["Cache-Control"] = "private, no-store"
        return response
    prefix = getattr(settings, "DOWNLOAD_ACCEL_PREFIX", "")
    if prefix and isinstance(storage, FileSystemStorage):
        if not storage.exists(name):
            raise Http404("Fichier introuvable.")
        response = HttpResponse(content_type=content_type)
        response["X-Accel-Redirect"] = prefix.rstrip("/") + "/" + quote(name)
        response["Content-Disposition"] = disposition
        response["Cache-Control"] = "private, no-store"
        return response
    return file_response(name, filename=filename, content_type=content_type, storage=storage)


def file_response(name: str, *, filename: str, content_type: str, as_attachment: bool = True,
                  storage=None) -> FileResponse:  # fmt: skip
    """A stored file streamed by Django (every download view, rights checked before): a 404
    when storage no longer has it, never cached on the way."""
    try:
        handle = (storage or default_storage).open(name, "rb")
    except OSError as exc:
        raise Http404("Fichier introuvable.") from exc
    response = FileResponse(handle, as_attachment=as_attachment, filename=filename,
                            content_type=content_type)  # fmt: skip
    response["Cache-Control"] = "private, no-store"
    return response
