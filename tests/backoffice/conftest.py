"""The reporting tests' clock and known days, for the back office's tour."""

from tests.reporting.conftest import clock, known_days  # noqa: F401 - fixtures
