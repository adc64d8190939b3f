"""URLs of bench/audit_http.py: the project's, plus the audit export of the first `n` sessions
streamed by the request itself (`/__bench__/audit.zip?n=1000`, staff only) — the shape a direct
download of a selection would have, which the project does not offer (the admin's action goes
through a worker): measured to know what such a path would cost a gunicorn worker."""

import json
import os
from pathlib import Path

from django.urls import include, path

from billing.views import _zip_response
from ganapati.models import Role
from ganapati.permissions import role_required


@role_required(Role.STAFF)
def audit_stream(request):
    from billing.exports import AuditExport
    from sessions.models import TrainingSession

    n = int(request.GET.get("n", "10"))
    # The sessions of the stored exports (written by the bench's build).
    tmp = Path(os.environ["BENCH_AUDIT_HTTP_TMP"])
    ids = json.loads((tmp / "ids.json").read_text())["session_ids"][:n]
    sessions = (  # the worker's query (billing/services.py audit_export_build)
        TrainingSession.objects.filter(pk__in=ids)
        .select_related("funding_request")
        .prefetch_related("trainees")
        .order_by("pk")
        .iterator(chunk_size=50)
    )
    return _zip_response(AuditExport(sessions, user=request.user), f"audit-{n}.zip")


urlpatterns = [
    path("__bench__/audit.zip", audit_stream),
    path("", include("ganapati.urls")),
]
