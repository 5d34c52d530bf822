"""A real Celery worker process, fed through the real Redis broker, runs a task sent from here;
with POS_LOG_FORMAT=json its log lines are JSON, as the API's are."""

import json
import os
import socket
import uuid

import pytest

from infrastructure.tasks import diagnostics_ping
from pos_project.celery import app
from tests.helpers import ManagedProcess, child_env, venv_bin, wait_until

pytestmark = pytest.mark.integration


def _worker(services_env, **env):
    """`celery -A pos_project worker`, pool solo, on a queue of its own (so no other worker on the
    shared Redis can take the task, and this worker takes nothing else)."""
    queue = f"test-diagnostics-{uuid.uuid4().hex[:12]}"
    nodename = f"{queue}@{socket.gethostname()}"
    process = ManagedProcess("celery-worker", [
        venv_bin("celery"), "-A", "pos_project", "worker", "--pool", "solo", "--concurrency", "1",
        "-Q", queue, "-n", nodename, "--loglevel", "INFO", "--without-gossip", "--without-mingle",
    ], child_env({**services_env, "DJANGO_SETTINGS_MODULE": "pos_project.settings", "PYTHONUNBUFFERED": "1", **env}),
        stop_timeout=15)
    process.queue, process.nodename = queue, nodename
    return process


@pytest.fixture
def worker(services_env):
    with _worker(services_env) as process:
        yield process


@pytest.fixture
def json_worker(services_env):
    with _worker(services_env, POS_LOG_FORMAT="json") as process:
        yield process


def _run_ping(worker) -> dict:
    result = diagnostics_ping.apply_async(queue=worker.queue)
    try:
        def done():
            worker.assert_running()  # a worker that died fails the test now, with its log
            return result.ready()

        wait_until(done, timeout=60, interval=0.2, message=f"the worker to run task {result.id}")
        return {"id": result.id, **result.get(timeout=5)}
    finally:
        result.forget()


def test_the_test_process_is_not_eager():
    # Otherwise .delay() would run the task right here and prove nothing about workers.
    assert app.conf.task_always_eager is False
    assert app.conf.broker_url.startswith("redis://")


def test_a_real_worker_runs_the_task_and_returns_its_result(worker):
    payload = _run_ping(worker)
    assert payload["pid"] != os.getpid()
    assert payload["pid"] == worker.pid  # pool solo runs tasks in the worker's main process
    assert payload["hostname"] == worker.nodename
    assert f"Task infrastructure.diagnostics_ping[{payload['id']}] succeeded" in worker.log_text()


def test_a_worker_asked_for_json_logs_writes_each_line_as_json(json_worker):
    payload = _run_ping(json_worker)
    lines = wait_until(lambda: [json.loads(line) for line in json_worker.log_text().splitlines()
                                if line.startswith("{") and payload["id"] in line and "succeeded" in line],
                       timeout=10, message="the task's JSON log line")
    assert lines[0]["level"] == "INFO" and lines[0]["time"] and lines[0]["logger"].startswith("celery")
    # every line the worker wrote after start-up is JSON: nothing in Celery's own format
    plain = [line for line in json_worker.log_text().splitlines() if line.strip() and not line.startswith("{")]
    assert not [line for line in plain if payload["id"] in line], plain
