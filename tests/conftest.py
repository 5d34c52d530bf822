"""Project-wide test wiring: disruptive tests run last, role users, an API client, the services' env."""

import os

import pytest

from tests.helpers.throttling import clear_throttle_state, random_client_ip

# Shared fixtures: in-process event delivery (embedded_delivery) and API clients per role.
pytest_plugins = ["tests.helpers.delivery", "tests.helpers.clients"]

SERVICES_ENV_NAMES = ("DATABASE_URL", "CELERY_BROKER_URL", "KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URL", "DJANGO_SECRET_KEY")
TEST_PASSWORD = "correct-horse-battery-staple-42"


# --- ordering and recovery around disruptive tests --------------------------------------------
@pytest.hookimpl(trylast=True)  # after pytest-django's own (tryfirst) ordering by database use
def pytest_collection_modifyitems(session, config, items):
    """Tests marked `disruptive` (they stop services) run after all others, in their own order."""
    calm = [item for item in items if item.get_closest_marker("disruptive") is None]
    disruptive = [item for item in items if item.get_closest_marker("disruptive") is not None]
    items[:] = calm + disruptive


@pytest.hookimpl(wrapper=True)
def pytest_runtest_teardown(item, nextitem):
    try:
        return (yield)  # every fixture of the test is torn down first (incl. pytest-django's transaction)
    finally:
        if item.get_closest_marker("disruptive") is not None:
            # A stopped service may have killed this process's database connections; drop them so
            # the next test (or the test database's teardown) opens fresh ones.
            from django.db import connections

            connections.close_all()


# --- users and clients ----------------------------------------------------------------------
def _make_user(django_user_model, username: str, *, group: str | None = None, superuser: bool = False):
    from django.contrib.auth.models import Group

    user = django_user_model.objects.create_user(username=username, password=TEST_PASSWORD,
                                                 is_staff=superuser, is_superuser=superuser)
    if group:
        # The role groups come from the post_migrate hook; a missing group is a real failure.
        user.groups.add(Group.objects.get(name=group))
    user.plain_password = TEST_PASSWORD
    return user


@pytest.fixture
def cashier_user(db, django_user_model):
    return _make_user(django_user_model, "test-cashier", group="cashier")


@pytest.fixture
def manager_user(db, django_user_model):
    return _make_user(django_user_model, "test-manager", group="manager")


@pytest.fixture
def admin_user(db, django_user_model):
    """A superuser: the `admin` role (overrides pytest-django's fixture of the same name)."""
    return _make_user(django_user_model, "test-admin", superuser=True)


@pytest.fixture
def client_ip() -> str:
    """A client address of this test's own, so throttle counters are not shared between tests."""
    return random_client_ip()


@pytest.fixture
def api_client(client_ip):
    """DRF's APIClient, coming from an address of its own; its throttle state is cleared before and after."""
    from rest_framework.test import APIClient

    clear_throttle_state(client_ip)
    client = APIClient(REMOTE_ADDR=client_ip)
    client.client_ip = client_ip
    yield client
    clear_throttle_state(client_ip)


# --- services -------------------------------------------------------------------------------
@pytest.fixture(scope="session")
def services_env() -> dict[str, str]:
    """The environment a process needs to use the real services (as `scripts/run-tests` exports it)."""
    missing = [name for name in SERVICES_ENV_NAMES if not os.environ.get(name)]
    if missing:
        pytest.fail(f"{', '.join(missing)} not set: run the tests with scripts/run-tests "
                    "(it exports `scripts/services env`) after `scripts/services up`.", pytrace=False)
    return {name: os.environ[name] for name in SERVICES_ENV_NAMES}


@pytest.fixture(scope="session", autouse=True)
def _run_kafka_topics():
    """The run's topics (every test's prefix starts with the run's `KAFKA_TOPIC_PREFIX`, set by
    scripts/run-tests) are deleted at the end, as its databases are dropped."""
    yield
    prefix, servers = os.environ.get("KAFKA_TOPIC_PREFIX", ""), os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "")
    if prefix.startswith("pos-test-") and servers:
        from tests.helpers.kafka_topics import delete_topics_under

        delete_topics_under(servers, prefix)


@pytest.fixture(scope="session", autouse=True)
def _run_audit_database():
    """The run's own audit database in FerretDB (`MONGODB_DATABASE`, set by scripts/run-tests)
    is dropped at the end, as pytest-django drops the run's PostgreSQL database."""
    yield
    from django.conf import settings

    if settings.MONGODB_URL and settings.MONGODB_DATABASE.startswith("test_"):
        import warnings

        from django.db import OperationalError

        from contexts.audit import archive

        try:
            archive.drop_database()
        except OperationalError as exc:
            warnings.warn(f"the run's audit database {settings.MONGODB_DATABASE} was not dropped: {exc}", stacklevel=1)
