"""Benchmark: every page of every role against a minimal Django view, at 10 / 200 / 2 000 sessions.

    .venv/bin/python bench/pages.py [--sizes 10,200,2000] [--duration 10] [--rounds 3]
                                    [--only "trainer dashboard,login"]

For each size, in a dedicated PostgreSQL database ("ganapati_bench_pages_<size>", dropped and
created again; BENCH_DATABASE_URL to change the prefix):
- builds the data through the test factories: one trainer with N sessions (two days, two
  trainees, a client company), one published programme per session, one issued invoice per
  session (a third partly paid), plus a staff user;
- serves the project with gunicorn (2 sync workers, DEBUG off, static files collected, the
  project's default per-process cache, or BENCH_CACHE_URL=redis://... flushed first) and, in
  the same process, a minimal Django view (no database, no template) at /__bench__/minimal/;
  every size has its own server, all running at once;
- logged-in pages are requested with the cookies a browser holds (login session and CSRF
  cookie), so they are served from the kept pages (ganapati/privatecache.py) while nothing is
  written; `--render` turns that off (PRIVATE_PAGE_SECONDS=0) to measure the rendering itself;
- runs `wrk -t2 -c16 -d<duration>s` against each page at each size in turn (sizes side by side,
  so that the machine's load drifting between sizes does not read as a change with the data),
  <rounds> times, and keeps the median requests per second; counts the answers served from a
  kept page (header X-Ganapati-Page-Cache) and prints the lowest share over sizes and rounds.
Prints the flatness table (req/s per size, ratio of the largest to the smallest size, ratio to
the minimal view at the largest size). Targets (issue 17): ratio to the minimal view >= 0.20 and
largest / smallest >= 0.8 for every page. Needs `wrk` (apt-get install wrk).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
import benchdb  # noqa: E402

DB_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/ganapati_bench_pages"
)
TMP = Path(os.environ.get("BENCH_PAGES_TMP") or tempfile.mkdtemp(prefix="ganapati-bench-pages-"))
os.environ["BENCH_PAGES_TMP"] = str(TMP)
ENV = {
    "DJANGO_SETTINGS_MODULE": "pages_settings",
    "DEBUG": "0",
    "SECRET_KEY": "bench-pages-" * 6,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "0",
    "DATABASE_URL": DB_URL,
    "GANAPATI_VAR_DIR": str(TMP),
    "STATIC_ROOT": str(TMP / "static"),
    "LOG_LEVEL": "WARNING",
    "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
}
# The project's default cache (per process) unless BENCH_CACHE_URL names one (redis://...).
if os.environ.get("BENCH_CACHE_URL"):
    ENV["CACHE_URL"] = os.environ["BENCH_CACHE_URL"]

# (label, who, url builder from the ids made by build())
PAGES = [
    ("minimal view", None, lambda ids: "/__bench__/minimal/"),
    ("trainer dashboard", "trainer", lambda ids: "/formateur/"),
    ("session detail", "trainer", lambda ids: f"/formateur/sessions/{ids['session']}/"),
    ("client space", "client", lambda ids: "/client/"),
    ("client session", "client", lambda ids: f"/client/sessions/{ids['session']}/"),
    ("public catalogue", None, lambda ids: "/programmes/"),
    ("programme page", None, lambda ids: f"/programmes/{ids['programme']}/"),
    ("Trouver mon OPCO", None, lambda ids: "/trouver-mon-opco/"),
    ("login", None, lambda ids: "/compte/connexion/"),
    ("staff work queue", "staff", lambda ids: "/admin/"),
    ("admin sessions", "staff", lambda ids: "/admin/training_sessions/trainingsession/"),
    ("admin invoices", "staff", lambda ids: "/admin/billing/invoice/"),
    ("admin programmes", "staff", lambda ids: "/admin/training_sessions/programme/"),
    ("admin users", "staff", lambda ids: "/admin/ganapati/user/"),
    ("admin audit events", "staff", lambda ids: "/admin/ganapati/auditevent/"),
]
# Pages anyone can see (the public page cache, not the kept logged-in pages).
PUBLIC = {label for label, who, _ in PAGES if who is None}


def database_url(n: int) -> str:
    """Each size has its own database: "<name>_<n>"."""
    return f"{DB_URL}_{n}"


def build(n: int) -> dict:
    """Migrate and build n sessions through the factories; return ids and login cookies."""
    os.environ.update(ENV)
    os.environ.pop("CELERY_BROKER_URL", None)
    import django

    django.setup()
    import datetime as dt
    from decimal import Decimal

    from django.conf import settings
    from django.core.management import call_command
    from django.test import Client
    from django.utils import timezone

    from billing.models import Invoice, Payment
    from ganapati.models import Funder
    from sessions.models import Programme, Trainee
    from tests import factories

    call_command("migrate", verbosity=0)
    call_command("collectstatic", verbosity=0, interactive=False)
    factories.OrganisationFactory()
    trainer = factories.TrainerFactory(email="trainer@bench.test")
    staff = factories.StaffFactory(email="staff@bench.test")
    client = factories.ClientFactory(email="client@bench.test")
    funder = Funder.objects.get(code="opcoep")
    today = timezone.localdate()
    start = factories.next_monday()
    sessions, programmes = [], []
    for i in range(n):
        programme = Programme.objects.create(
            trainer=trainer, **{**factories.TRAINING, "title": f"Programme {i:05d}"}
        )
        programmes.append(programme)
        first = start + dt.timedelta(days=7 * (i % 50))
        session = factories.TrainingSessionFactory(
            trainer=trainer, programme=programme, title=f"Session {i:05d}",
            days=[first, first + dt.timedelta(days=1)],
        )  # fmt: skip
        session.company = client.company
        session.contact = client
        session.funding_mode = "opco_subrogation"
        session.funder = funder
        session.status = ["ready", "draft"][i % 2]
        session.save()
        Trainee.objects.bulk_create(
            Trainee(session=session, first_name=f"Stagiaire{k}", last_name="Martin",
                    email=f"s{k}.{i}@exemple.fr", position=k)
            for k in range(2)
        )  # fmt: skip
        sessions.append(session)
    invoices = Invoice.objects.bulk_create(
        Invoice(session=s, payer_kind="company", buyer_name=f"Client {i}", buyer_address="-",
                description="Formation", status="issued", number=f"F-2026-{i + 1:06d}",
                issue_date=today, due_date=today, total_excl_tax=Decimal("2800.00"),
                vat_amount=Decimal("0"), total_incl_tax=Decimal("2800.00"),
                service_start=today, service_end=today)
        for i, s in enumerate(sessions)
    )  # fmt: skip
    Payment.objects.bulk_create(
        Payment(invoice=inv, amount=Decimal("100"), paid_on=today, payer="Acompte",
                recorded_by=staff)
        for inv in invoices[::3]
    )  # fmt: skip
    # The database as autovacuum keeps it in service: statistics for the planner, the
    # visibility map for index-only counts (a table just filled has neither).
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    from django.middleware.csrf import _get_new_csrf_string

    cookies = {}
    for who, user in (("trainer", trainer), ("client", client), ("staff", staff)):
        c = Client()
        c.force_login(user)
        name = settings.SESSION_COOKIE_NAME
        # What a browser sends once it has seen a page with a form: its CSRF cookie too.
        csrf = f"{settings.CSRF_COOKIE_NAME}={_get_new_csrf_string()}"
        cookies[who] = f"{name}={c.cookies[name].value}; {csrf}"
    return {"session": sessions[0].pk, "programme": programmes[0].pk, "cookies": cookies}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(port: int, n: int) -> subprocess.Popen:
    gunicorn = Path(sys.executable).with_name("gunicorn")
    proc = subprocess.Popen(
        [str(gunicorn), "pages_wsgi:application", "-w", "2", "-k", "sync",
         "-b", f"127.0.0.1:{port}", "--chdir", str(ROOT), "--log-level", "warning"],
        env={**os.environ, **ENV, "DATABASE_URL": database_url(n)}, start_new_session=True,
    )  # fmt: skip
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/__bench__/minimal/", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise SystemExit("gunicorn did not start")


def check(port: int, url: str, cookie: str | None) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{url}")
    if cookie:
        request.add_header("Cookie", cookie)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


# Counts the answers served from a kept page (ganapati/privatecache.py) and the others.
HITS_LUA = """
hits, others = 0, 0
local threads = {}
function setup(thread) table.insert(threads, thread) end
function response(status, headers, body)
  if headers["X-Ganapati-Page-Cache"] == "hit" then hits = hits + 1 else others = others + 1 end
end
function done(summary, latency, requests)
  local h, o = 0, 0
  for _, t in ipairs(threads) do h = h + t:get("hits"); o = o + t:get("others") end
  io.write(string.format("Kept pages served: %d of %d\\n", h, h + o))
end
"""


def wrk(port: int, url: str, cookie: str | None, duration: int) -> tuple[float, float]:
    """Requests per second, and the share of them served from a kept page."""
    script = TMP / "hits.lua"
    if not script.exists():
        script.write_text(HITS_LUA)
    target = f"http://127.0.0.1:{port}{url}"
    args = ["wrk", "-t2", "-c16", f"-d{duration}s", "-s", str(script), target]
    if cookie:
        args[1:1] = ["-H", f"Cookie: {cookie}"]
    out = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{url}: non-2xx answers under load\n{out}")
    kept, total = map(int, re.search(r"Kept pages served: (\d+) of (\d+)", out).groups())
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), kept / max(total, 1)


def settle(port: int) -> None:
    """Wait until the workers have drained what wrk left queued (requests still in flight when
    it stopped), so that a slow page does not eat into the next page's measurement."""
    deadline = time.monotonic() + 180
    quick = 0
    while quick < 3 and time.monotonic() < deadline:
        started = time.monotonic()
        check(port, "/__bench__/minimal/", None)
        quick = quick + 1 if time.monotonic() - started < 0.05 else 0
        time.sleep(0.05)


def build_size(n: int) -> dict:
    url = database_url(n)
    benchdb.recreate(url)
    started = time.monotonic()
    subprocess.run([sys.executable, __file__, "--build-only", str(n)], check=True,
                   env={**os.environ, **ENV, "BENCH_DATABASE_URL": url})  # fmt: skip
    print(f"[{n} sessions] built in {time.monotonic() - started:.0f} s", flush=True)
    return json.loads((TMP / f"ids-{n}.json").read_text())


def run(sizes: list[int], duration: int, rounds: int, only: set[str] | None):
    """Every size built, then served at once (one gunicorn each) and measured side by side:
    each round runs each page at every size in turn, so that a change of the machine's load
    between sizes does not pass for a change with the data. Medians of the rounds."""
    if ENV.get("CACHE_URL", "").startswith("redis://"):
        import redis

        redis.Redis.from_url(ENV["CACHE_URL"]).flushdb()
    ids = {n: build_size(n) for n in sizes}
    pages = [p for p in PAGES if not only or p[0] in only or p[0] == "minimal view"]
    servers: dict[int, tuple[int, subprocess.Popen]] = {}
    speed = {n: {label: [] for label, _, _ in pages} for n in sizes}
    kept = {n: {label: [] for label, _, _ in pages} for n in sizes}
    try:
        for n in sizes:
            port = free_port()
            servers[n] = (port, serve(port, n))
            for label, who, url_of in pages:
                cookie = ids[n]["cookies"][who] if who else None
                status = check(port, url_of(ids[n]), cookie)
                if status != 200:
                    raise SystemExit(f"{label} {url_of(ids[n])} ({n} sessions): HTTP {status}")
        for round_number in range(rounds):
            for label, who, url_of in pages:
                for n in sizes if round_number % 2 == 0 else reversed(sizes):
                    port = servers[n][0]
                    cookie = ids[n]["cookies"][who] if who else None
                    per_second, share = wrk(port, url_of(ids[n]), cookie, duration)
                    speed[n][label].append(per_second)
                    kept[n][label].append(share)
                    settle(port)
                line = "  ".join(f"{n}: {speed[n][label][-1]:7.1f}" for n in sizes)
                print(f"  round {round_number + 1} {label:<20} {line} req/s", flush=True)
    finally:
        for _, proc in servers.values():
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait()
    medians = {n: {label: statistics.median(v) for label, v in speed[n].items()} for n in sizes}
    shares = {n: {label: min(v) for label, v in kept[n].items()} for n in sizes}
    return medians, shares


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="10,200,2000")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="", help="comma-separated page labels")
    parser.add_argument(
        "--render",
        action="store_true",
        help="no kept pages: every request renders (PRIVATE_PAGE_SECONDS=0)",
    )
    parser.add_argument("--build-only", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build_only is not None:
        ids = build(args.build_only)
        (TMP / f"ids-{args.build_only}.json").write_text(json.dumps(ids))
        return
    if not shutil.which("wrk"):
        raise SystemExit("wrk is missing: apt-get install wrk")
    if args.render:
        ENV["PRIVATE_PAGE_SECONDS"] = "0"
    sizes = [int(s) for s in args.sizes.split(",")]
    only = {s.strip() for s in args.only.split(",") if s.strip()} or None
    table, shares = run(sizes, args.duration, args.rounds, only)
    small, large = sizes[0], sizes[-1]
    minimal = table[large]["minimal view"]
    header = " | ".join(f"{n} sessions" for n in sizes)
    print(f"\n| page | {header} | {large}/{small} | ratio to minimal view at {large} "
          f"| served from kept pages |")  # fmt: skip
    print("|---|" + "---|" * len(sizes) + "---|---|---|")
    for label in table[small]:
        values = " | ".join(f"{table[n][label]:.0f}" for n in sizes)
        flat = table[large][label] / table[small][label]
        share = min(shares[n][label] for n in sizes)
        kept = "-" if label in PUBLIC else f"{share:.0%}"
        print(f"| {label} | {values} | {flat:.2f} | {table[large][label] / minimal:.3f} | {kept} |")
    shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
