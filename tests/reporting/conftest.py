"""Fixtures of the reporting tests: a test clock, API clients per role, and the two known days
(story.py) played through the real pipeline."""

import datetime as dt

import pytest

from tests.conftest import _make_user

from .story import Clock, run_known_days


@pytest.fixture
def clock(monkeypatch):
    """`django.utils.timezone.now` answers the story's time (set with `clock.at(day, "HH:MM")`)."""
    from django.utils import timezone

    fake = Clock(dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.timezone.utc))
    monkeypatch.setattr(timezone, "now", fake)
    return fake


@pytest.fixture
def known_days(embedded_delivery, clock, make_client, manager_user, django_user_model):
    alice = _make_user(django_user_model, "alice", group="cashier")
    bob = _make_user(django_user_model, "bob", group="cashier")
    return run_known_days(clock, make_client(alice), make_client(bob), make_client(manager_user),
                          users={"alice": alice, "bob": bob})
