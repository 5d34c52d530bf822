"""Every `CommandAdmin` with a `history_context`: a change or delete page asked for after the
command committed but before its read row is projected (full mode, before Kafka delivers) says
"saved; it will appear in a moment" instead of Django's "doesn't exist"."""

import uuid

import pytest
from django.contrib.messages import get_messages

from contexts.catalog import commands as catalog
from contexts.catalog.models import CategoryView
from contexts.sales import commands as sales
from contexts.sales.models import TillView
from infrastructure.commands.bus import execute
from infrastructure.commands.metadata import Metadata
from tests.helpers.stores import register_store

# django_db, not transactional: on_commit never fires, so no read row is ever projected here.
pytestmark = [pytest.mark.integration, pytest.mark.django_db]


def _category() -> uuid.UUID:
    category_id = uuid.uuid4()
    execute(catalog.CreateCategory(category_id=category_id, name=f"Lagging {category_id.hex[:6]}"),
            Metadata.new(user="test-setup"))
    return category_id


def _till() -> uuid.UUID:
    till_id = uuid.uuid4()
    register_store("LAG1", "Lag store", by_hand=True)  # sales knows the store; the till's own row lags
    execute(sales.RegisterTill(till_id=till_id, name="Lagging till", store_code="LAG1"),
            Metadata.new(user="test-setup"))
    return till_id


@pytest.fixture
def superuser_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("make, model, admin_path, noun, pages", [
    (_category, CategoryView, "/admin/catalog/categoryview/", "category", ("change", "delete")),
    (_till, TillView, "/admin/sales/tillview/", "till", ("change",)),  # tills are never deleted
])
def test_a_page_asked_for_before_its_read_row_is_projected_redirects_to_the_list_saying_so(
        superuser_client, make, model, admin_path, noun, pages):
    object_id = make()
    assert not model.objects.filter(pk=object_id).exists()

    for page in pages:
        response = superuser_client.get(f"{admin_path}{object_id}/{page}/", follow=True)
        assert response.redirect_chain == [(admin_path, 302)], page
        assert f"Saved; the {noun} will appear in a moment." in [str(m) for m in response.context["messages"]]

    unknown = superuser_client.get(f"{admin_path}{uuid.uuid4()}/change/")
    assert unknown.status_code == 302 and unknown["Location"] == "/admin/"  # Django's own "doesn't exist"
    assert any("doesn’t exist" in str(m) for m in get_messages(unknown.wsgi_request))


def test_without_the_pages_permission_it_is_still_django_s_403(superuser_client):
    till_id = _till()  # the till admin grants no delete: the lag does not turn that into a redirect
    assert superuser_client.get(f"/admin/sales/tillview/{till_id}/delete/").status_code == 403
