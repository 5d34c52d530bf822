"""Event delivery inside the test process, as in embedded mode: each commit relays its events
in-process to the consuming contexts' subscribers (same inbox dedupe as the Kafka consumers).

Import the fixture into a test module: `from tests.helpers.delivery import embedded_delivery`.
It needs real commits (on_commit hooks), hence the transactional database.
"""

import pytest


@pytest.fixture
def embedded_delivery(transactional_db, settings):
    settings.KAFKA_ENABLED = False
    settings.CELERY_TASK_ALWAYS_EAGER = True
    yield
