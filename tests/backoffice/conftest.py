"""The back office's tests: a manager with staff status, and the reporting tests' clock and known
days for the back office's tour."""

import pytest

from tests.reporting.conftest import clock, known_days  # noqa: F401 - fixtures


@pytest.fixture
def staff_manager(manager_user):
    manager_user.is_staff = True
    manager_user.save(update_fields=["is_staff"])
    return manager_user
