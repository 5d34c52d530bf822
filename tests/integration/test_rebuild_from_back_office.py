"""A projection rebuild started from the back office (admins only) runs as a Celery task on a
real worker, through Redis, on this test's PostgreSQL database; the page shows how it went."""

import socket
import uuid

import pytest
from django.db import connection

from infrastructure.consumers.inbox import deliver
from infrastructure.projections.models import ProjectionRebuild
from tests.helpers import ManagedProcess, child_env, venv_bin, wait_until
from tests.helpers.consumers import TallyScript, count_rows
from tests.lab.models import EventCount

pytestmark = pytest.mark.integration

PAGE = "/admin/infrastructure/projectionrebuild/"


@pytest.fixture
def task_worker(services_env, transactional_db):
    """`celery worker --relay none --consume none`: tasks only, on this test's database."""
    db = connection.settings_dict
    url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    queue = f"rebuild-test-{uuid.uuid4().hex[:8]}"
    process = ManagedProcess("celery-task-worker", [
        venv_bin("celery"), "-A", "pos_project", "worker", "--pool", "threads", "--concurrency", "1",
        "--relay", "none", "--consume", "none", "-Q", "celery", "-n", f"{queue}@{socket.gethostname()}",
        "--loglevel", "INFO", "--without-gossip", "--without-mingle", "--without-heartbeat",
    ], child_env({**services_env, "DATABASE_URL": url, "DATABASE_CONN_MAX_AGE": "0", "PYTHONUNBUFFERED": "1",
                  "POS_EXTRA_APPS": "tests.lab"}), stop_timeout=15)
    with process:
        wait_until(lambda: process.assert_running() or " ready." in process.log_text(), timeout=60, interval=0.2,
                   message=f"the Celery worker ({process.log_path})")
        yield process


def test_an_admin_starts_a_rebuild_and_a_worker_runs_it(task_worker, admin_user, client):
    tally = TallyScript()
    deliver("lab", [tally.opened(), tally.added("a", 2), tally.removed("a", 1)])
    EventCount.objects.update(count=77)  # a read model gone wrong
    client.force_login(admin_user)

    page = client.get(f"{PAGE}add/")
    assert page.status_code == 200 and b"lab.EventCounts" in page.content
    response = client.post(f"{PAGE}add/", {"projection": "lab.EventCounts"})
    assert response.status_code == 302, response.content[:2000]
    [run] = ProjectionRebuild.objects.all()
    assert (run.projection, run.requested_by) == ("lab.EventCounts", admin_user)

    def finished():
        task_worker.assert_running()
        run.refresh_from_db()
        return run.status in (ProjectionRebuild.Status.DONE, ProjectionRebuild.Status.FAILED)

    wait_until(finished, timeout=60, interval=0.2, message=f"the worker to run the rebuild ({task_worker.log_path})")
    assert (run.status, run.events, run.error) == (ProjectionRebuild.Status.DONE, 3, "")
    assert count_rows() == {"TallyOpened": 1, "ItemAdded": 1, "ItemRemoved": 1}
    listing = client.get(PAGE).content.decode()
    assert "lab.EventCounts" in listing and "100 %" in listing and 'http-equiv="refresh"' not in listing


@pytest.mark.django_db
def test_only_admins_see_or_start_rebuilds(manager_user, client):
    manager_user.is_staff = True  # a manager in the back office: past the staff gate, short of admin
    manager_user.save(update_fields=["is_staff"])
    client.force_login(manager_user)
    assert client.get(PAGE).status_code == 403
    assert client.post(f"{PAGE}add/", {"projection": "lab.EventCounts"}).status_code == 403
    assert not ProjectionRebuild.objects.exists()


@pytest.mark.e2e
def test_the_rebuild_page_in_chromium_shows_the_run_to_its_end(task_worker, admin_user, live_server):
    """In a real browser: the admin finds the page from the back office's index, starts a rebuild,
    and the list (refreshing itself) shows it done with its figures. A screenshot is saved."""
    from playwright.sync_api import expect

    from tests.helpers.browser import chromium_page, log_in
    from tests.helpers.processes import ARTIFACTS_DIR

    tally = TallyScript()
    deliver("lab", [tally.opened(), tally.added("a", 2)])
    EventCount.objects.update(count=77)
    with chromium_page(viewport=(1366, 768)) as page:
        log_in(page, live_server.url, admin_user)
        page.click("text=Projection rebuilds")
        page.click("text=Add projection rebuild")
        page.select_option("#id_projection", "lab.EventCounts")
        page.click("input[name=_save]")
        row = page.locator("#result_list tbody tr").first
        expect(row).to_contain_text("done", timeout=60_000)  # the page refreshes itself meanwhile
        expect(row).to_contain_text("100 %")
        expect(row).to_contain_text("lab.EventCounts")
        page.screenshot(path=str(ARTIFACTS_DIR / "projection-rebuilds.png"), full_page=True)
    assert count_rows() == {"TallyOpened": 1, "ItemAdded": 1}
