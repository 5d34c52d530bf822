"""Each pytest-xdist worker gets services of its own (and keeps a module's tests together): its Kafka topics, its audit database, its
Redis databases (Celery broker and cache, and those of the deployments it starts).

Loaded with `-p tests.helpers.worker_env` (pytest.ini), so it runs at import, before pytest-django
imports the settings: xdist names the worker in PYTEST_XDIST_WORKER before the worker's
configuration is parsed. pytest-django itself gives each worker its own test database (`_gw0`...).
Without xdist nothing changes.
"""

import os
from urllib.parse import urlsplit, urlunsplit

import pytest
from _pytest.nodeid import NodeId

# Redis has 16 databases: worker n uses 2n (broker) and 2n+1 (cache, the broker's next one) in
# process, and 8+2n / 9+2n for the deployments it starts. run-tests uses at most 4 workers.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
NUMBER = int(WORKER.removeprefix("gw")) if WORKER.startswith("gw") else None
MAX_WORKERS = 4


def _redis_db(url: str, number: int) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{number}"))


if NUMBER is not None:
    if NUMBER >= MAX_WORKERS:
        raise RuntimeError(f"tests/helpers/worker_env.py gives Redis databases to {MAX_WORKERS} workers, not {NUMBER + 1}")
    for name, separator in (("KAFKA_TOPIC_PREFIX", "-"), ("MONGODB_DATABASE", "_")):
        if os.environ.get(name) and not os.environ[name].endswith(WORKER):
            os.environ[name] = f"{os.environ[name]}{separator}{WORKER}"
    if os.environ.get("CELERY_BROKER_URL", "").startswith("redis://"):
        os.environ["CELERY_BROKER_URL"] = _redis_db(os.environ["CELERY_BROKER_URL"], 2 * NUMBER)
    os.environ["POS_TEST_DEPLOYMENT_REDIS_DB"] = str(8 + 2 * NUMBER)


@pytest.hookimpl(tryfirst=True)  # before xdist's own hook reads the groups (`--dist loadgroup`)
def pytest_collection_modifyitems(config, items):
    """In parallel runs a module's tests stay on one worker (its module fixtures start once), and
    the modules that share the gateway deployment stay together (it starts once per worker)."""
    # On a worker xdist has already set `dist` to "no" and keeps the choice in `loadgroup`: testing
    # `dist` here skipped the grouping on every worker, so a module's tests (and the gateway
    # deployment) were spread over the workers and its module fixtures started on each.
    if not getattr(config.option, "loadgroup", False):
        return
    for item in items:
        marker = item.get_closest_marker("xdist_group")
        if marker is None:
            shared = "gateway_deployment" in getattr(item, "fixturenames", ())
            group = pytest.mark.xdist_group("gateway" if shared else item.module.__name__)
            item.add_marker(group)
            marker = group.mark
        # xdist 3.8 groups by a "@group" suffix of the node id, which it writes to `item._nodeid`;
        # pytest 9 keeps the id in `item._id` and ignores that, so without this no test was grouped.
        if "@" not in item.nodeid.rpartition("]")[2]:
            item._id = NodeId.parse(f"{item.nodeid}@{marker.args[0]}")
