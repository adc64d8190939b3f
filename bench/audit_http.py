"""Benchmark: the audit ZIP over HTTP, served by gunicorn as in production — time to first byte,
total time and the gunicorn worker's peak RSS, for 10 and N (1 000) sessions, for each path
staff can use.

    .venv/bin/python bench/audit_http.py [N=1000] [--rounds 3]

Issue 17's target: the ZIP of 1 000 sessions with its first byte in < 1 s and the worker's peak
RSS within +30 MiB of the export of 10 sessions.

Builds, in a scratch SQLite database (or the PostgreSQL one BENCH_DATABASE_URL names, dropped
and created again, as the other benches do),
the demo and N - 1 copies of its completed session with the most documents (as
bench/audit_export.py: the copies point at the same stored PDFs), the stored exports of the
first 10 and of all N sessions as the worker builds them (`audit_export_request`, run
in-process: no broker, timed) and a staff login cookie (BENCH_AUDIT_HTTP_TMP=<dir>: kept there
and reused by the next run). Then serves the project with gunicorn and ganapati/gunicorn_conf.py
(gthread, one worker so that its RSS is the one measured, DEBUG off; a fresh worker per
measurement, warmed up by one request) and downloads, `--rounds` times interleaved (medians):
- "stored 10" / "stored N": the worker-built ZIP (`/exports/<id>/`, ganapati/downloads.py);
- "direct 1": the export streamed by the request itself (`/sessions/<pk>/audit.zip`), which
  staff can only ask for one session at a time (the admin's action for a selection goes
  through the worker);
- "streamed 10" / "streamed N": the same renderer over 10 / N sessions from a bench-only URL
  (bench/audit_http_urls.py), what a direct download of a selection would cost.
Peak RSS: the kernel's high-water mark of the worker (VmHWM), reset before each request
(/proc/<pid>/clear_refs), next to its RSS before the request.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import benchdb  # bench/, beside this file

ROOT = Path(__file__).resolve().parent.parent
TMP = Path(
    os.environ.get("BENCH_AUDIT_HTTP_TMP") or tempfile.mkdtemp(prefix="ganapati-bench-http-")
)
ENV = {
    "DJANGO_SETTINGS_MODULE": "ganapati.settings",
    "DEBUG": "0",
    "SECRET_KEY": "bench-http-" * 6,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "DATABASE_URL": os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{TMP}/bench.sqlite3"),
    "GANAPATI_VAR_DIR": str(TMP),
    "STATIC_ROOT": str(TMP / "static"),
    "LOG_LEVEL": "WARNING",
    "BENCH_AUDIT_HTTP_TMP": str(TMP),
    "PYTHONPATH": str(ROOT),
    # gunicorn as configured for production, one worker (the one whose memory is measured).
    "GUNICORN_WORKERS": "1",
    "GUNICORN_ACCESS_LOG": "off",
}


def build(n: int) -> dict:
    """The data, the two stored exports and a staff cookie (run in a child process)."""
    os.environ.update(ENV)
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client

    from billing import services
    from billing.models import AuditExportJob
    from documents.models import Document
    from ganapati.models import User
    from sessions.models import TrainingSession

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    model = max(
        TrainingSession.objects.filter(status="completed"),
        key=lambda s: Document.objects.for_owner(s).filter(status="ready").count(),
    )
    docs = list(Document.objects.for_owner(model).filter(status="ready"))
    trainees = list(model.trainees.all())
    ids = [model.pk]
    with transaction.atomic():
        for _ in range(n - 1):
            clone = TrainingSession.objects.get(pk=model.pk)
            clone.pk = None
            clone.save()
            ids.append(clone.pk)
            mapping = {}
            for t in trainees:
                t2 = type(t).objects.get(pk=t.pk)
                t2.pk, t2.session = None, clone
                t2.save()
                mapping[t.pk] = t2
            Document.objects.bulk_create(
                Document(owner_type_id=d.owner_type_id, owner_id=clone.pk, kind=d.kind,
                         title=d.title, version=d.version, source=d.source, status="ready",
                         file=d.file.name, sha256=d.sha256, size=d.size, crc32=d.crc32,
                         subject_type_id=d.subject_type_id,
                         subject_id=mapping[d.subject_id].pk if d.subject_id else None)
                for d in docs
            )  # fmt: skip
    staff = User.objects.filter(role="staff").first()
    jobs, build_seconds = {}, {}
    for size in (10, n):
        started = time.perf_counter()
        job = services.audit_export_request(session_ids=ids[:size], actor=staff)  # runs now
        build_seconds[size] = time.perf_counter() - started
        job = AuditExportJob.objects.get(pk=job.pk)
        assert job.status == "done", (job.status, job.error)
        jobs[size] = {"id": job.pk, "bytes": job.file.size}
    c = Client()
    c.force_login(staff)
    name = settings.SESSION_COOKIE_NAME
    return {"session": model.pk, "session_ids": ids, "jobs": jobs, "build_seconds": build_seconds,
            "cookie": f"{name}={c.cookies[name].value}"}  # fmt: skip


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(port: int) -> tuple[subprocess.Popen, int]:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "-c", "python:ganapati.gunicorn_conf", "ganapati.wsgi:application",
         "--chdir", str(ROOT), "--log-level", "warning"],
        env={**os.environ, **ENV, "GUNICORN_BIND": f"127.0.0.1:{port}",
             "DJANGO_SETTINGS_MODULE": "audit_http_settings",
             "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}"},
        start_new_session=True,
    )  # fmt: skip
    for _ in range(150):
        try:
            status, _, _, _ = get(port, "/compte/connexion/", None)
            if status == 200:
                children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
                if len(children) == 1:
                    return proc, int(children[0])
        except OSError:
            pass
        time.sleep(0.2)
    os.killpg(proc.pid, signal.SIGTERM)
    raise SystemExit("gunicorn did not start")


def _status(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            key, value = line.split(":", 1)
            out[key] = int(value.split()[0]) * 1024
    return out


def get(port: int, url: str, cookie: str | None) -> tuple[int, float, float, int]:
    """Status, seconds to the first byte of the body, total seconds, bytes of the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    started = time.perf_counter()
    conn.request("GET", url, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    first, size = None, 0
    while chunk := response.read1(256 * 1024):
        if first is None:
            first = time.perf_counter() - started
        size += len(chunk)
    total = time.perf_counter() - started
    conn.close()
    return response.status, first if first is not None else total, total, size


def measure(port: int, worker: int, url: str, cookie: str) -> dict:
    Path(f"/proc/{worker}/clear_refs").write_text("5")  # VmHWM := VmRSS
    before = _status(worker)["VmRSS"]
    status, first, total, size = get(port, url, cookie)
    if status != 200:
        raise SystemExit(f"{url}: HTTP {status}")
    after = _status(worker)
    return {"first": first, "total": total, "bytes": size, "rss_before": before,
            "peak": after["VmHWM"], "growth": after["VmHWM"] - before}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", nargs="?", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only:
        (TMP / "ids.json").write_text(json.dumps(build(args.n)))
        return
    started = time.monotonic()
    if not (TMP / "ids.json").exists():  # BENCH_AUDIT_HTTP_TMP=<dir of a former run>: reused
        benchdb.recreate(ENV["DATABASE_URL"])
        subprocess.run([sys.executable, __file__, str(args.n), "--build-only"], check=True,
                       env={**os.environ, **ENV})  # fmt: skip
    ids = json.loads((TMP / "ids.json").read_text())
    print(f"built {args.n} sessions and both stored exports in {time.monotonic() - started:.0f} s;"
          " worker build: " + ", ".join(f"{k} sessions {v:.1f} s"
                                        for k, v in ids["build_seconds"].items()))  # fmt: skip
    n = str(args.n)
    paths = {
        "direct 1 (streamed by the request)": f"/sessions/{ids['session']}/audit.zip",
        "stored 10 (worker-built)": f"/exports/{ids['jobs']['10']['id']}/",
        f"stored {n} (worker-built)": f"/exports/{ids['jobs'][n]['id']}/",
        "streamed 10 (bench-only URL)": "/__bench__/audit.zip?n=10",
        f"streamed {n} (bench-only URL)": f"/__bench__/audit.zip?n={n}",
    }
    results: dict[str, list[dict]] = {label: [] for label in paths}
    for _ in range(args.rounds):
        for label, url in paths.items():
            # A fresh worker per measurement (memory a former export left allocated is not
            # counted again), warmed up by the one-session export (imports, first queries).
            port = free_port()
            proc, worker = serve(port)
            try:
                get(port, paths["direct 1 (streamed by the request)"], ids["cookie"])
                results[label].append(measure(port, worker, url, ids["cookie"]))
            finally:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait()
    mib = 1024 * 1024
    print(f"\n| path | MiB | first byte, s (median of {args.rounds}) | total, s | worker RSS "
          "before, MiB | worker peak RSS, MiB | peak − RSS before, MiB |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    for label, runs in results.items():
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        print(f"| {label} | {med['bytes'] / mib:.1f} | {med['first']:.3f} | {med['total']:.2f} | "
              f"{med['rss_before'] / mib:.1f} | {med['peak'] / mib:.1f} | "
              f"{med['growth'] / mib:.1f} |")  # fmt: skip
    for kind in ("stored", "streamed"):
        small, large = (next(v for k, v in results.items() if k.startswith(f"{kind} {size} "))
                        for size in (10, n))  # fmt: skip
        first = statistics.median(r["first"] for r in large)
        extra = statistics.median(r["peak"] for r in large) - statistics.median(
            r["peak"] for r in small
        )
        print(
            f"target, {kind} {n}: first byte {first:.3f} s (< 1 s), worker peak RSS "
            f"{extra / mib:+.1f} MiB against 10 sessions (<= +30 MiB)"
        )
    if not os.environ.get("BENCH_AUDIT_HTTP_TMP"):
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
