"""In-process cost of rendering one logged-in page (issue 17): processor ms per request.

    BENCH_DATABASE_URL=... BENCH_PAGES_TMP=<dir of bench/pages.py --build-only> \
        .venv/bin/python bench/render_profile.py --size 200 [--n 50] [--profile "trainer dashboard"]
                                                 [--html DIR] [--sql]

Reads the ids and cookies written by `bench/pages.py --build-only N` (database
BENCH_DATABASE_URL_N, as bench/pages.py names it), then requests each page
through Django's test client (the whole middleware stack, no HTTP), with the kept pages off
(PRIVATE_PAGE_SECONDS=0) and DEBUG off; prints the median time.process_time() of n requests and
the number of queries. --profile prints cProfile's top functions for one page; --html writes
each page's HTML (CSRF tokens blanked) to compare two versions of the code.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("PRIVATE_PAGE_SECONDS", "0")
import pages  # noqa: E402  (sets the bench's environment)

os.environ.update(pages.ENV)
os.environ["PRIVATE_PAGE_SECONDS"] = "0"
SIZE = int(sys.argv[sys.argv.index("--size") + 1]) if "--size" in sys.argv else 200
os.environ["DATABASE_URL"] = pages.database_url(SIZE)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, default=200, help="sessions built (--build-only N)")
    parser.add_argument("--n", type=int, default=50)
    parser.add_argument("--only", default="")
    parser.add_argument("--profile", default="")
    parser.add_argument("--html", default="")
    parser.add_argument("--sql", action="store_true", help="print each page's queries")
    args = parser.parse_args()
    import django

    django.setup()
    from django.db import connection
    from django.test import Client

    captured: list[float] = []
    statements: list[str] = []

    def count(execute, sql, params, many, context):
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            captured.append(time.perf_counter() - started)
            statements.append(sql)

    ids = json.loads((pages.TMP / f"ids-{args.size}.json").read_text())
    only = {s.strip() for s in args.only.split(",") if s.strip()}
    wanted = [
        p for p in pages.PAGES if p[1] or p[0] == "minimal view"
        if not only or p[0] in only
    ]  # fmt: skip
    for label, who, url_of in wanted:
        client = Client(HTTP_HOST="127.0.0.1")
        if who:
            for part in ids["cookies"][who].split("; "):
                name, value = part.split("=", 1)
                client.cookies[name] = value
        url = url_of(ids)
        response = client.get(url)
        assert response.status_code == 200, (label, response.status_code, response.get("Location"))
        if args.html:
            html = re.sub(rb'name="csrfmiddlewaretoken" value="[^"]+"', b"", response.content)
            name = label.replace(" ", "_")
            Path(args.html).mkdir(parents=True, exist_ok=True)
            (Path(args.html) / f"{name}.html").write_bytes(html)
        captured.clear()
        with connection.execute_wrapper(count):
            client.get(url)
        queries = list(captured)
        if args.sql:
            for statement in statements:
                print("   ", statement[:300])
        statements.clear()
        times = []
        for _ in range(args.n):
            started = time.process_time()
            client.get(url)
            times.append(time.process_time() - started)
        sql = sum(queries) * 1000
        print(
            f"{label:<20} {statistics.median(times) * 1000:7.2f} ms cpu  "
            f"{len(queries):3d} queries ({sql:.1f} ms wall SQL)  {len(response.content)} B",
            flush=True,
        )
        if args.profile == label:
            profiler = cProfile.Profile()
            profiler.enable()
            for _ in range(20):
                client.get(url)
            profiler.disable()
            stats = pstats.Stats(profiler)
            stats.sort_stats("cumulative").print_stats(int(os.environ.get("PROFILE_TOP", "60")))
            stats.sort_stats("tottime").print_stats(40)


if __name__ == "__main__":
    main()
