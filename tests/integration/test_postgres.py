"""The test database is a real PostgreSQL server, with real transactions between sessions."""

import uuid

import psycopg
import pytest
from django.contrib.auth.models import Group
from django.db import connection, transaction

pytestmark = pytest.mark.integration


def other_session():
    """A second, independent PostgreSQL session on the test database (not Django's connection)."""
    params = connection.settings_dict
    return psycopg.connect(host=params["HOST"], port=params["PORT"], dbname=params["NAME"], user=params["USER"],
                           password=params["PASSWORD"], connect_timeout=5, autocommit=True)


@pytest.mark.django_db
def test_the_test_database_is_postgresql():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version(), current_database()")
        version, database = cursor.fetchone()
    assert version.startswith("PostgreSQL ")
    assert database == connection.settings_dict["NAME"]
    assert database.startswith("test_")  # pytest-django's own database, never the app's


@pytest.mark.django_db(transaction=True)
def test_a_row_written_through_the_orm_is_seen_by_another_session_only_after_commit():
    name = f"probe-{uuid.uuid4().hex}"

    with other_session() as reader:
        with transaction.atomic():
            group = Group.objects.create(name=name)
            # Not committed yet: another session must not see it (real isolation, not a shared file).
            assert reader.execute("SELECT count(*) FROM auth_group WHERE name = %s", [name]).fetchone() == (0,)

        row = reader.execute("SELECT id, name FROM auth_group WHERE name = %s", [name]).fetchone()

    assert row == (group.pk, name)


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_write_leaves_nothing_behind():
    name = f"probe-{uuid.uuid4().hex}"

    with pytest.raises(RuntimeError):
        with transaction.atomic():
            Group.objects.create(name=name)
            raise RuntimeError("abort")

    with other_session() as reader:
        assert reader.execute("SELECT count(*) FROM auth_group WHERE name = %s", [name]).fetchone() == (0,)
    assert not Group.objects.filter(name=name).exists()
