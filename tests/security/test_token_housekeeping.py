"""Expired JWT bookkeeping rows are removed by the daily beat task; live ones stay."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from infrastructure.http.tasks import flush_expired_tokens

pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def outstanding(user, jti: str, expires_in: timedelta) -> OutstandingToken:
    now = timezone.now()
    return OutstandingToken.objects.create(user=user, jti=jti, token=f"token-{jti}", created_at=now - timedelta(days=2),
                                           expires_at=now + expires_in)


def test_flush_expired_tokens_removes_only_expired_rows(cashier_user):
    expired = outstanding(cashier_user, "expired", timedelta(hours=-1))
    BlacklistedToken.objects.create(token=expired)
    live = outstanding(cashier_user, "live", timedelta(days=1))
    BlacklistedToken.objects.create(token=live)

    flush_expired_tokens.apply().get()

    assert list(OutstandingToken.objects.values_list("jti", flat=True)) == ["live"]
    assert list(BlacklistedToken.objects.values_list("token__jti", flat=True)) == ["live"]


def test_beat_runs_the_flush_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["flush-expired-tokens"]
    assert entry["task"] == flush_expired_tokens.name
    assert entry["schedule"] == 24 * 3600
