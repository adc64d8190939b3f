"""Settings read from the environment, checked in fresh processes as a server would start."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
PROBE = (
    "import django, json; django.setup(); from django.conf import settings as s; "
    "from ganapati.celery import app; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], "
    "'name': str(s.DATABASES['default']['NAME']), 'eager': app.conf.task_always_eager, "
    "'broker': app.conf.broker_url, 'debug': s.DEBUG, "
    "'hsts': getattr(s, 'SECURE_HSTS_SECONDS', 0), "
    "'secure_cookie': s.SESSION_COOKIE_SECURE, 'secret': s.SECRET_KEY[:6]}))"
)


# Variables of the test run itself (ganapati/settings_test.py) must not leak into the probes.
OWN_PREFIXES = (
    "DATABASE_",
    "CELERY_",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "SECURE_",
    "EMAIL_",
    "CONN_MAX_AGE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def clean_environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(OWN_PREFIXES)}


def run_django(env_overrides: dict[str, str], code: str = PROBE, tmp_path=None):
    env = clean_environ()
    env.update({"DJANGO_SETTINGS_MODULE": "ganapati.settings", "PYTHONPATH": str(ROOT)})
    if tmp_path is not None:
        env["GANAPATI_VAR_DIR"] = str(tmp_path)
    env.update(env_overrides)
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path or ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def probe(env_overrides, tmp_path):
    import json

    result = run_django(env_overrides, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_without_database_url_the_app_uses_a_sqlite_file_under_var(tmp_path):
    values = probe({"DEBUG": "1"}, tmp_path)
    assert values["engine"] == "django.db.backends.sqlite3"
    assert values["name"] == str(tmp_path / "ganapati.sqlite3")


def test_database_url_switches_to_postgresql(tmp_path):
    values = probe(
        {"DEBUG": "1", "DATABASE_URL": "postgres://u:p@db.example:5432/ganapati"}, tmp_path
    )
    assert values["engine"] == "django.db.backends.postgresql"
    assert values["name"] == "ganapati"


def test_without_broker_tasks_run_in_process_and_with_one_they_go_to_redis(tmp_path):
    assert probe({"DEBUG": "1"}, tmp_path)["eager"] is True
    values = probe({"DEBUG": "1", "CELERY_BROKER_URL": "redis://cache.example:6379/2"}, tmp_path)
    assert values["eager"] is False
    assert values["broker"] == "redis://cache.example:6379/2"


def test_production_without_secret_key_stops_with_an_error_naming_it(tmp_path):
    result = run_django({"DEBUG": "0", "ALLOWED_HOSTS": "ganapati.example.fr"}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr
    assert "obligatoire" in result.stderr


def test_production_without_allowed_hosts_stops_with_an_error_naming_it(tmp_path):
    result = run_django({"DEBUG": "0", "SECRET_KEY": "x" * 60}, tmp_path=tmp_path)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS" in result.stderr


def test_secret_key_can_come_from_a_file(tmp_path):
    key_file = tmp_path / "secret"
    key_file.write_text("from-a-file-" + "k" * 50 + "\n")
    values = probe(
        {"DEBUG": "0", "SECRET_KEY_FILE": str(key_file), "ALLOWED_HOSTS": "a.example"}, tmp_path
    )
    assert values["secret"] == "from-a"
    assert values["hsts"] == 31536000
    assert values["secure_cookie"] is True


def test_check_deploy_is_clean_in_a_production_like_environment(tmp_path):
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **clean_environ(),
            "DJANGO_SETTINGS_MODULE": "ganapati.settings",
            "DEBUG": "0",
            "SECRET_KEY": "Zx8#kq2!Lm9@vB4$wN7%tR1^yH5&uJ3*pE6(oI0)aS2-dF8_gK4+lQ7=cV1" * 2,
            "ALLOWED_HOSTS": "ganapati.example.fr",
            "GANAPATI_VAR_DIR": str(tmp_path),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
            "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


SETTINGS_SOURCE = (ROOT / "ganapati" / "settings.py").read_text()
ENV_NAMES = set(re.findall(r'env(?:\.\w+)?\(\s*"([A-Z0-9_]+)"', SETTINGS_SOURCE))


def test_every_setting_read_from_the_environment_is_documented_in_env_example():
    documented = set(re.findall(r"^#?\s*([A-Z0-9_]+)=", (ROOT / ".env.example").read_text(), re.M))
    assert ENV_NAMES, "the settings read no variable?"
    assert ENV_NAMES - documented == set()


COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_compose_describes_the_production_like_stack():
    services = COMPOSE["services"]
    assert set(services) >= {"web", "worker", "beat", "db", "redis", "mail"}
    web = " ".join(services["web"]["command"].split())
    assert "gunicorn -c python:ganapati.gunicorn_conf ganapati.wsgi:application" in web
    assert services["worker"]["command"].startswith("celery -A ganapati worker")
    assert services["beat"]["command"].startswith("celery -A ganapati beat")


@pytest.mark.parametrize("service", ["web", "worker", "beat"])
def test_compose_app_services_agree_with_the_settings(service):
    from urllib.parse import urlparse

    config = COMPOSE["services"][service]
    env = config["environment"]
    # Every variable compose sets is one the settings read (no typo silently ignored).
    assert set(env) - ENV_NAMES == set()
    db = urlparse(env["DATABASE_URL"])
    assert db.scheme == "postgres" and db.hostname == "db"
    db_env = COMPOSE["services"]["db"]["environment"]
    assert (db.username, db.password, db.path.lstrip("/")) == (
        db_env["POSTGRES_USER"],
        db_env["POSTGRES_PASSWORD"],
        db_env["POSTGRES_DB"],
    )
    assert urlparse(env["CELERY_BROKER_URL"]).hostname == "redis"
    assert env["EMAIL_HOST"] == "mail" and env["EMAIL_PORT"] == "1025"
    assert env["DEBUG"] == "0"
    assert "SECRET_KEY_FILE" in env and "django_secret_key" in config["secrets"]
    assert set(config["depends_on"]) >= {"db", "redis"}


def test_collectstatic_of_production_succeeds(tmp_path):
    """The Docker image runs collectstatic with DEBUG off (hashed names, every reference in CSS
    and JS resolved): a vendored file naming a missing source map broke it once."""
    code = (
        "import django; django.setup(); from django.core.management import call_command; "
        "call_command('collectstatic', interactive=False, verbosity=0)"
    )
    result = run_django({"DEBUG": "0", "SECRET_KEY": "x" * 50, "ALLOWED_HOSTS": "localhost",
                         "STATIC_ROOT": str(tmp_path / "static")}, code, tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    manifest = (tmp_path / "static" / "staticfiles.json").read_text()
    assert "signature_pad.umd.min.js" in manifest


def test_each_worker_process_puts_its_start_up_objects_out_of_the_collectors_sight():
    """Celery sends worker_process_init in each worker process once it is loaded: what
    start-up made is frozen (gc.freeze), so full collections no longer go through it."""
    import gc

    from celery.signals import worker_process_init

    before = gc.get_freeze_count()
    try:
        worker_process_init.send(sender=None)
        assert gc.get_freeze_count() > before + 50_000  # Django, the apps, their modules
    finally:
        gc.unfreeze()
