"""A real Celery worker process, fed through the real Redis broker, runs a task sent from here."""

import os
import socket
import uuid

import pytest

from infrastructure.tasks import diagnostics_ping
from pos_project.celery import app
from tests.helpers import ManagedProcess, child_env, venv_bin, wait_until

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(services_env):
    """`celery -A pos_project worker`, pool solo, on a queue of its own (so no other worker on the
    shared Redis can take the task, and this worker takes nothing else)."""
    queue = f"test-diagnostics-{uuid.uuid4().hex[:12]}"
    nodename = f"{queue}@{socket.gethostname()}"
    process = ManagedProcess("celery-worker", [
        venv_bin("celery"), "-A", "pos_project", "worker", "--pool", "solo", "--concurrency", "1",
        "-Q", queue, "-n", nodename, "--loglevel", "INFO", "--without-gossip", "--without-mingle",
    ], child_env({**services_env, "DJANGO_SETTINGS_MODULE": "pos_project.settings", "PYTHONUNBUFFERED": "1"}),
        stop_timeout=15)
    process.queue, process.nodename = queue, nodename
    with process:
        yield process


def test_the_test_process_is_not_eager():
    # Otherwise .delay() would run the task right here and prove nothing about workers.
    assert app.conf.task_always_eager is False
    assert app.conf.broker_url.startswith("redis://")


def test_a_real_worker_runs_the_task_and_returns_its_result(worker):
    result = diagnostics_ping.apply_async(queue=worker.queue)
    try:
        def done():
            worker.assert_running()  # a worker that died fails the test now, with its log
            return result.ready()

        wait_until(done, timeout=60, interval=0.2, message=f"the worker to run task {result.id}")
        payload = result.get(timeout=5)
    finally:
        result.forget()

    assert payload["pid"] != os.getpid()
    assert payload["pid"] == worker.pid  # pool solo runs tasks in the worker's main process
    assert payload["hostname"] == worker.nodename
    assert f"Task infrastructure.diagnostics_ping[{result.id}] succeeded" in worker.log_text()
