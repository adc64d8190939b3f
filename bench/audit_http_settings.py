"""Settings of bench/audit_http.py's gunicorn: the project's, with bench/audit_http_urls.py."""

from ganapati.settings import *  # noqa: F403

ROOT_URLCONF = "audit_http_urls"
