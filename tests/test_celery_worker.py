"""An email through a real Celery worker on Redis, against the real PostgreSQL."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from celery import Celery
from django.db import connection
from kombu import Exchange, Queue

from ganapati.models import OutgoingEmail

from .conftest import require

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_an_email_is_sent_exactly_once_by_a_real_worker_even_when_delivered_twice(
    trainer, tmp_path
):
    require(connection.vendor == "postgresql", "PostgreSQL requis (DATABASE_URL)")
    broker_base = os.environ.get("CELERY_BROKER_URL", "")
    require(broker_base.startswith("redis://"), "Redis requis (CELERY_BROKER_URL)")
    # A queue of our own, so that nothing else consumes the tasks; results in another database.
    # (Celery reads CELERY_BROKER_URL from the environment before any broker= argument.)
    results_url = broker_base.rsplit("/", 1)[0] + "/14"
    queue = f"test-{uuid.uuid4().hex}"
    mail_dir = tmp_path / "mail"

    email = OutgoingEmail.objects.create(
        key=f"test-worker:{uuid.uuid4().hex}",
        template="password_changed",
        to=[trainer.email],
        from_email="test@ganapati.localhost",
        subject="Envoyé par un vrai worker",
        body_text="Bonjour",
    )

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "ganapati.settings_test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "CELERY_BROKER_URL": broker_base,
        "CELERY_RESULT_BACKEND": results_url,
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(mail_dir),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "ganapati",
            "worker",
            "-Q",
            queue,
            "--pool=prefork",
            "--concurrency=2",
            "--without-heartbeat",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=WARNING",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        # Not the current app: the tasks of the project must stay bound to ganapati.celery.
        sender = Celery(broker=broker_base, backend=results_url, set_as_current=False)
        # Declare the queue now: Redis drops messages routed to a queue nobody declared yet,
        # and the worker may still be starting.
        with sender.connection_for_write() as conn:
            Queue(queue, Exchange(queue, type="direct"), routing_key=queue)(
                conn.default_channel
            ).declare()
        # The same task delivered twice, as Redis does after a lost acknowledgement.
        results = [
            sender.send_task("ganapati.outbox_send", args=[email.pk], queue=queue) for _ in range(2)
        ]
        outcomes = sorted(result.get(timeout=60) for result in results)
    except Exception:
        worker.terminate()
        print(worker.communicate(timeout=30)[0])
        raise
    finally:
        if worker.poll() is None:
            worker.terminate()
            worker.wait(timeout=30)

    # The second delivery found the email already claimed: in flight (both ran at once on the
    # two worker processes) or already sent.
    assert outcomes[0] == "sent"
    assert outcomes[1] in {"skipped-sending", "skipped-sent"}
    email.refresh_from_db()
    assert (email.status, email.attempts) == ("sent", 1)
    sent_files = list(mail_dir.glob("*.log"))
    assert len(sent_files) == 1
    assert f"X-Ganapati-Key: {email.key}" in sent_files[0].read_text()
