"""Web and workers on different machines sharing only PostgreSQL, Redis and object storage:
the whole path — documents rendered by a worker, a PEC uploaded on the web, downloads, the
audit ZIP — with FILE_STORAGE_BACKEND=s3 against a local S3-compatible server (moto) and a
separate Celery worker process; nothing is written to a local media folder."""

import io
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

import pytest
from django.urls import reverse

from documents.models import Document
from funding.models import PecUpload

from .conftest import login, post_form
from .factories import TrainingSessionFactory, attach_client
from .test_pec import pdf_bytes, upload
from .workers import new_queue, require_services, start_worker, stop, tasks_sent_to, wait_for

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

BUCKET = "ganapati-test"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def s3_server():
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    endpoint = f"http://127.0.0.1:{port}"
    try:
        import boto3

        client = boto3.client(
            "s3", endpoint_url=endpoint, region_name="eu-west-3",
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip
        deadline = time.monotonic() + 30
        while True:
            try:
                client.create_bucket(
                    Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-3"}
                )
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield endpoint, client
    finally:
        server.terminate()
        server.wait(10)


def test_documents_pec_downloads_and_audit_zip_through_object_storage_and_a_separate_worker(
    s3_server, settings, tmp_path, client, trainer, client_user, staff, organisation, funders
):
    broker = require_services()
    endpoint, s3 = s3_server
    local_media = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET, "endpoint_url": endpoint, "region_name": "eu-west-3",
                "access_key": "test", "secret_key": "test", "default_acl": "private",
                "querystring_auth": True, "file_overwrite": False, "addressing_style": "path",
            },
        },
    }  # fmt: skip
    worker_media = tmp_path / "worker-media"
    env = {
        "FILE_STORAGE_BACKEND": "s3", "AWS_STORAGE_BUCKET_NAME": BUCKET,
        "AWS_S3_ENDPOINT_URL": endpoint, "AWS_S3_REGION_NAME": "eu-west-3",
        "AWS_S3_ADDRESSING_STYLE": "path", "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test", "MEDIA_ROOT": str(worker_media),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
    }  # fmt: skip
    queue = new_queue()
    worker = start_worker(queue, env, concurrency=2)
    session = attach_client(TrainingSessionFactory(trainer=trainer), client_user)
    try:
        with tasks_sent_to(queue, broker):
            # The trainer validates on the web; a worker renders the three documents into S3
            # and e-mails them (attachments read back from S3).
            login(client, trainer)
            client.post(reverse("session_validate", args=[session.pk]))
            documents = Document.objects.for_owner(session)
            wait_for(lambda: documents.filter(status="ready").count() == 3,
                     timeout=120, what="documents rendus par le worker")  # fmt: skip
            mails = tmp_path / "mail"
            wait_for(lambda: mails.exists() and any(mails.glob("*.log")), timeout=60,
                     what="e-mail envoyé par le worker, pièces jointes lues dans S3")  # fmt: skip

            # The client uploads the PEC on the web: stored in S3 under a random name.
            login(client, client_user)
            response = post_form(client, reverse("client_funding", args=[session.pk]), {
                "decision": "total", "file_number": "OPCO-42", "amount_granted": "2800",
                "minutes_granted": "14 h", "subrogation": "on", "file": upload(pdf_bytes()),
            })  # fmt: skip
            assert response.status_code == 302, response.content.decode()[:500]
            pec = PecUpload.objects.get(request__session=session)

            # Downloads on the web read from S3.
            devis = documents.get(kind="devis")
            response = client.get(reverse("document_download", args=[devis.pk]))
            body = b"".join(response.streaming_content)
            assert body.startswith(b"%PDF")
            login(client, staff)
            archive = zipfile.ZipFile(io.BytesIO(b"".join(
                client.get(reverse("session_audit_export", args=[session.pk])).streaming_content
            )))  # fmt: skip
            names = archive.namelist()
            assert any(name.endswith(".pdf") and "/pec/" in name for name in names), names
            assert sum("/documents/" in name for name in names) == 3
            assert archive.read(next(n for n in names if "Devis" in n)) == body

            # A large export is built by the worker into the bucket; its download is a redirect
            # to a signed URL that expires: the bucket sends the bytes, not a web worker.
            from billing.models import AuditExportJob
            from billing.services import audit_export_request

            job = audit_export_request(session_ids=[session.pk], actor=staff)
            wait_for(lambda: AuditExportJob.objects.get(pk=job.pk).status == "done",
                     timeout=120, what="export d'audit construit par le worker")  # fmt: skip
            response = client.get(reverse("audit_export_download", args=[job.pk]))
            assert response.status_code == 302
            signed = response["Location"]
            assert signed.startswith(endpoint), signed
            assert "Signature=" in signed and "Expires=" in signed, signed
            with urllib.request.urlopen(signed) as download:
                assert "attachment" in download.headers["Content-Disposition"]
                assert download.headers["Content-Type"] == "application/zip"
                exported = zipfile.ZipFile(io.BytesIO(download.read()))
            assert exported.testzip() is None
            assert sum("/documents/" in name for name in exported.namelist()) == 3
            with pytest.raises(urllib.error.HTTPError):  # the same object without the signature
                urllib.request.urlopen(signed.split("?")[0])
            login(client, trainer)
            assert client.get(reverse("audit_export_download", args=[job.pk])).status_code == 403
    finally:
        output = stop(worker)
        print(output[-5000:])  # shown by pytest when the test fails
    assert "Traceback" not in output, output

    keys = {o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET).get("Contents", [])}
    assert pec.file.name in keys
    assert {d.file.name for d in Document.objects.for_owner(session)} <= keys
    # Nothing on a local disk, neither on the web side nor on the worker's.
    for folder in (local_media, worker_media):
        assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*")), folder
