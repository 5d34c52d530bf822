"""The browser till's API client (frontend/till/src/api.ts) is typed from the live schema by
openapi-typescript, as `make till` does, and a schema that drops an operation the client calls fails
the type check, so it fails the build."""

import copy
import json
import shutil
import subprocess
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

TILL = Path(__file__).resolve().parents[2] / "frontend" / "till"


@pytest.fixture(scope="module")
def schema(django_db_blocker) -> dict:
    from django.test import Client

    with django_db_blocker.unblock():
        return Client().get("/api/schema/?format=json").json()


def _type_check(schema: dict, work: Path) -> subprocess.CompletedProcess:
    """openapi-typescript, then tsc, over a copy of the till's sources (the checkout is left alone)."""
    assert (TILL / "node_modules" / ".bin" / "tsc").exists(), "frontend/till/node_modules is missing: run `make till`"
    shutil.copytree(TILL / "src", work / "src", dirs_exist_ok=True)
    shutil.copy(TILL / "tsconfig.json", work)
    (work / "node_modules").unlink(missing_ok=True)
    (work / "node_modules").symlink_to(TILL / "node_modules")
    (work / "schema.json").write_text(json.dumps(schema))
    bins = TILL / "node_modules" / ".bin"
    subprocess.run([bins / "openapi-typescript", "schema.json", "-o", "src/api-schema.d.ts", "--silent"], cwd=work,
                   check=True, capture_output=True, timeout=120)
    return subprocess.run([bins / "tsc", "--noEmit", "-p", "."], cwd=work, capture_output=True, text=True, timeout=180)


def test_the_client_type_checks_against_the_live_schema_and_not_without_an_operation_it_calls(schema, tmp_path):
    ok = _type_check(schema, tmp_path)
    assert ok.returncode == 0, ok.stdout + ok.stderr

    broken = copy.deepcopy(schema)
    del broken["paths"]["/api/v1/sales/orders/{order_id}/refunds/"]
    failed = _type_check(broken, tmp_path)
    assert failed.returncode != 0 and "/api/v1/sales/orders/{order_id}/refunds/" in failed.stdout, failed.stdout
