"""Full-mode settings pass `manage.py check --deploy` with no issues, and carry the security
settings the docs promise (run in subprocesses: settings are read once per process)."""

import json
import secrets
import subprocess
import sys

import pytest

from tests.helpers.processes import REPO_ROOT, child_env

pytestmark = pytest.mark.e2e

# What an operator sets in full mode (see README and docs/security.md); the services' addresses
# are only read, never connected to, by `check`.
FULL_ENV = {
    "POS_MODE": "full",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DATABASE_URL": "postgres://pos:pos@127.0.0.1:5432/pos",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "DJANGO_ALLOWED_HOSTS": "pos.example.com",
    "DJANGO_SETTINGS_MODULE": "pos_project.settings",
}
# Development overrides a test run exports (scripts/run-tests), which a deployment does not set.
DROP = ("DJANGO_SECURE_COOKIES", "DJANGO_DEBUG", "DJANGO_HSTS_SECONDS", "DJANGO_SSL_REDIRECT", "POS_EXTRA_APPS",
        "KAFKA_BOOTSTRAP_SERVERS", "DATABASE_TEST_NAME")


def _run(args, **overrides):
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, env=child_env({**FULL_ENV, **overrides}, drop=DROP),
                          capture_output=True, text=True, timeout=120)


def test_check_deploy_is_clean_in_full_mode():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"])

    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "System check identified no issues" in output, output


def test_check_deploy_flags_a_weak_setup():
    """The test above means something: the same check does complain about a weak configuration."""
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], DJANGO_SECURE_COOKIES="false",
                  DJANGO_DEBUG="true")

    assert result.returncode != 0
    assert "SESSION_COOKIE_SECURE" in result.stdout + result.stderr


def test_full_mode_security_settings():
    code = ("import django, json; django.setup(); from django.conf import settings as s; print(json.dumps({k: "
            "getattr(s, k) for k in ['DEBUG', 'SESSION_COOKIE_SECURE', 'CSRF_COOKIE_SECURE', 'SESSION_COOKIE_HTTPONLY',"
            " 'SECURE_HSTS_SECONDS', 'SECURE_CONTENT_TYPE_NOSNIFF', 'X_FRAME_OPTIONS', 'DATA_UPLOAD_MAX_MEMORY_SIZE',"
            " 'SECURE_PROXY_SSL_HEADER']} | {'csrf': 'django.middleware.csrf.CsrfViewMiddleware' in s.MIDDLEWARE,"
            " 'access_minutes': s.SIMPLE_JWT['ACCESS_TOKEN_LIFETIME'].total_seconds() / 60}))")
    result = _run(["-c", code])
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout.strip().splitlines()[-1])

    assert got["DEBUG"] is False
    assert got["SESSION_COOKIE_SECURE"] is got["CSRF_COOKIE_SECURE"] is got["SESSION_COOKIE_HTTPONLY"] is True
    assert got["SECURE_HSTS_SECONDS"] >= 31_536_000 and got["SECURE_CONTENT_TYPE_NOSNIFF"] is True
    assert got["X_FRAME_OPTIONS"] == "DENY" and got["csrf"] is True
    assert got["SECURE_PROXY_SSL_HEADER"] == ["HTTP_X_FORWARDED_PROTO", "https"]
    assert got["DATA_UPLOAD_MAX_MEMORY_SIZE"] == 256 * 1024 and got["access_minutes"] <= 15


def test_full_mode_refuses_to_start_without_a_secret_key():
    result = _run(["manage.py", "check"], DJANGO_SECRET_KEY="")

    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr
