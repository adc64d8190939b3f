"""Which errors are worth retrying, and the one way tasks retry.

A transient error (network down, a 4xx SMTP reply, an API's 429 or 5xx, a database connection
lost, object storage unreachable) may go through later: the task retries with a growing delay.
A permanent one (a provider's 4xx, an SMTP 5xx, a template or data bug, a missing file) will
fail again identically: it is recorded as failed at once, for staff to see and act on.
"""

from __future__ import annotations

import random
import smtplib
import socket

from django.db import InterfaceError, OperationalError

# Storage clients (boto3/botocore) raise these when the object store cannot be reached.
_TRANSIENT_NAMES = {
    "EndpointConnectionError", "ConnectTimeoutError", "ReadTimeoutError", "ConnectionClosedError",
}  # fmt: skip


def is_transient(exc: BaseException) -> bool:
    # Anymail first: its request errors are also OSErrors (through requests), and a provider's
    # 400 ("invalid sender", "bad API key") must not be retried as if the network had failed.
    try:
        from anymail.exceptions import AnymailAPIError, AnymailRecipientsRefused
    except ImportError:  # pragma: no cover - anymail is a dependency
        AnymailAPIError = AnymailRecipientsRefused = ()  # noqa: N806
    if AnymailRecipientsRefused and isinstance(exc, AnymailRecipientsRefused):
        return False
    if AnymailAPIError and isinstance(exc, AnymailAPIError):
        status = getattr(exc, "status_code", None)
        return status is None or status == 429 or status >= 500
    if isinstance(exc, smtplib.SMTPResponseException):
        return 400 <= exc.smtp_code < 500
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return False
    if isinstance(exc, (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError)):
        return True
    if isinstance(exc, (OperationalError, InterfaceError)):
        return True
    if type(exc).__name__ in _TRANSIENT_NAMES:
        return True
    if isinstance(exc, (FileNotFoundError, IsADirectoryError, PermissionError)):
        return False  # a missing or unreadable file stays so
    return isinstance(exc, (socket.timeout, TimeoutError, ConnectionError, OSError))


def backoff(retries: int, *, base: int = 30, cap: int = 3600) -> int:
    """Seconds before the next try: base, 2×base, 4×base... capped, with a little jitter."""
    return min(base * 2**retries, cap) + random.randint(0, max(1, base // 2))  # noqa: S311


def retry_or_raise(task, exc: BaseException, *, base: int = 30):
    """In a worker: retry a transient error with backoff (raises celery.Retry), re-raise a
    permanent one. In-process (no broker) nothing is retried here: the sweepers catch up."""
    if task.request.is_eager or not is_transient(exc):
        raise exc
    if task.request.retries >= (task.max_retries or 0):
        raise exc
    raise task.retry(exc=exc, countdown=backoff(task.request.retries, base=base))
