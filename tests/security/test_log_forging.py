"""What a client sends cannot forge a log line: the access log wrote the decoded path, so
`GET /health/live%0A2026-12-01 ... INFO pos.requests [forged] ...` made a second, convincing line."""

import logging

import pytest
from django.conf import settings

pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

FORGED = "2026-12-01 00:00:00,000 INFO pos.requests [forged] \"GET /admin/\" 200 1.0ms"


class Collect(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records = []

    def emit(self, record):
        self.records.append(record)


def configured_formatter() -> logging.Formatter:
    """The formatter settings.LOGGING gives the console handler, built as logging.config builds it."""
    from django.utils.module_loading import import_string

    config = dict(settings.LOGGING["formatters"][settings.LOGGING["handlers"]["console"]["formatter"]])
    factory = import_string(config.pop("()")) if "()" in config else logging.Formatter
    return factory(config["format"])


def test_a_newline_in_the_path_does_not_start_a_new_log_line(client):
    collect = Collect()
    logger = logging.getLogger("pos.requests")
    logger.addHandler(collect)
    try:
        client.get("/health/live%0A" + FORGED.replace(" ", "%20"))
    finally:
        logger.removeHandler(collect)

    (record,) = [r for r in collect.records if "/health/live" in r.getMessage()]
    assert "\n" in record.getMessage()  # the path really carried a newline...
    record.request_id = "-"
    line = configured_formatter().format(record)
    assert "\n" not in line and "\\x0a2026-12-01" in line  # ...and the log shows it escaped, on one line
