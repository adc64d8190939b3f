"""A slow client downloading a large file gets all of it, or a clear failure — never a
truncated "200 OK" (issue 17).

gunicorn runs with the production settings (ganapati/gunicorn_conf.py) and a worker timeout
of 2 s; a client reads a 24 MiB file at about 4 MiB/s (6 s). With the sync worker class the
worker is killed mid-response and the client gets fewer bytes than Content-Length announced
(the failure the issue measured); with the configured threaded workers the whole file arrives.
"""

import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SIZE = 24 * 1024 * 1024
TIMEOUT = 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def big_file(tmp_path_factory):
    folder = tmp_path_factory.mktemp("slow")
    path = folder / "export.zip"
    path.write_bytes(os.urandom(SIZE))
    # The file as a download view sends it: a WSGI file wrapper (sendfile), Content-Length set.
    (folder / "slowapp.py").write_text(
        textwrap.dedent(f"""
        import os
        PATH = {str(path)!r}
        def app(environ, start_response):
            start_response("200 OK", [("Content-Type", "application/zip"),
                                      ("Content-Length", str(os.path.getsize(PATH)))])
            return environ["wsgi.file_wrapper"](open(PATH, "rb"), 65536)
    """)
    )
    return folder


def _serve(folder: Path, worker_class: str):
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": f"{folder}{os.pathsep}{ROOT}",
           "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1",
           "GUNICORN_TIMEOUT": str(TIMEOUT), "GUNICORN_WORKER_CLASS": worker_class,
           "GUNICORN_ACCESS_LOG": "off"}  # fmt: skip
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "python:ganapati.gunicorn_conf", "slowapp:app"],
        env=env, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return process, port
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("gunicorn did not start: " + process.stderr.read().decode()[-2000:])


def _slow_download(port: int) -> tuple[int, int]:
    """(Content-Length announced, body bytes received) reading ~4 MiB/s with a small buffer."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 * 1024)
    sock.connect(("127.0.0.1", port))
    sock.sendall(b"GET /export.zip HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "no response headers"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    headers = dict(line.split(b": ", 1) for line in head.split(b"\r\n")[1:] if b": " in line)
    assert head.startswith(b"HTTP/1.1 200")
    received = len(body)
    sock.settimeout(30)
    while True:
        try:
            chunk = sock.recv(128 * 1024)
        except (ConnectionResetError, TimeoutError):
            break
        if not chunk:
            break
        received += len(chunk)
        time.sleep(0.03)  # ~4 MiB/s
    sock.close()
    return int(headers[b"Content-Length"]), received


def _download_with(folder, worker_class):
    process, port = _serve(folder, worker_class)
    try:
        started = time.monotonic()
        announced, received = _slow_download(port)
        return announced, received, time.monotonic() - started
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_sync_workers_cut_a_slow_download_at_their_timeout(big_file):
    announced, received, elapsed = _download_with(big_file, "sync")
    assert announced == SIZE
    assert received < SIZE, "the sync worker was expected to be killed mid-response"


def test_configured_threaded_workers_send_the_whole_file_to_a_slow_client(big_file):
    announced, received, elapsed = _download_with(big_file, "gthread")
    assert announced == SIZE
    assert elapsed > 2 * TIMEOUT  # the download did outlast the worker timeout
    assert received == SIZE
