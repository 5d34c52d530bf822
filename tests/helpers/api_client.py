"""The test suite's API client, generated from the committed schema (docs/api/openapi-v1.json, which
a test keeps equal to the live one) by openapi-python-client, once per test session.

A schema change that breaks a client breaks this one: a renamed field or operation no longer
matches the tests written against it, and a schema the generator cannot read fails the generation
(its warnings are errors here). Requests go to the app in-process through httpx's WSGI transport.

    def test_x(pos_api):                       # the generated package, `pos_api_client`
        from pos_api_client.api.salestills import v1_sales_tills_open_create
        client = api_client(pos_api, token)
"""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = ROOT / "docs" / "api" / "openapi-v1.json"
CONFIG = "project_name_override: pos-api-client\npackage_name_override: pos_api_client\npost_hooks: []\n"


@pytest.fixture(scope="session")
def pos_api(tmp_path_factory):
    where = tmp_path_factory.mktemp("generated")
    (where / "config.yaml").write_text(CONFIG)
    generator = Path(sys.executable).parent / "openapi-python-client"
    run = subprocess.run([str(generator), "generate", "--path", str(SCHEMA), "--config", str(where / "config.yaml"),
                          "--meta", "none", "--output-path", str(where / "pos_api_client")],
                         capture_output=True, text=True, timeout=120)
    said = run.stdout + run.stderr
    assert run.returncode == 0 and "warning" not in said.lower() and "error" not in said.lower(), said
    sys.path.insert(0, str(where))
    try:
        import pos_api_client
    finally:
        sys.path.remove(str(where))
    return pos_api_client


def api_client(pos_api, token: str | None, *, remote_addr: str = "127.0.0.1"):
    """A generated client calling the app in-process (as `token`'s user, or anonymous)."""
    import httpx
    from django.core.wsgi import get_wsgi_application

    transport = httpx.WSGITransport(app=get_wsgi_application(), remote_addr=remote_addr)
    common = {"base_url": "http://127.0.0.1:8000", "httpx_args": {"transport": transport},
              "raise_on_unexpected_status": True}
    return pos_api.AuthenticatedClient(token=token, **common) if token else pos_api.Client(**common)
