"""Schemathesis against `/api/schema/`: every operation, as a manager, as a cashier at a till and
anonymously, with generated valid and invalid input. No answer may be a 5xx, and every answer must
be one the schema documents (status code, content type, body schema).

The app is called in-process (WSGI), so requests share this test's database and its embedded
event delivery: read models fill as in `make run`, and the transactional database is flushed after.
Bounded and repeatable: a few examples per operation, derandomized (one seed), no shrinking.
"""

import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable

from tests.helpers.auth import till_token
from tests.helpers.delivery import embedded_delivery  # noqa: F401
from tests.helpers.throttling import clear_throttle_state, random_client_ip

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

MAX_EXAMPLES = 2  # per operation and variant: valid or invalid input with generated ids, valid with seeded ids
ROLES = ("manager", "cashier", "anonymous")
CHECKS_NAMES = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                "response_schema_conformance")


@pytest.fixture(scope="module")
def api_schema(django_db_blocker):
    import schemathesis
    from django.core.wsgi import get_wsgi_application

    with django_db_blocker.unblock():
        return schemathesis.openapi.from_wsgi("/api/schema/?format=json", get_wsgi_application())


def _checks():
    from schemathesis import checks as core
    from schemathesis.specs.openapi import checks as openapi

    return [getattr(core, name, None) or getattr(openapi, name) for name in CHECKS_NAMES]


@pytest.fixture
def world(embedded_delivery, cashier_user, manager_user):
    """One of each resource, made through the command handlers, so reads have rows to answer."""
    from contexts.catalog import commands as cat
    from contexts.sales import commands as sal
    from infrastructure.commands.bus import execute
    from tests.customers.support import make_customer
    from tests.sales.support import META, make_product, make_till

    category = uuid.uuid4()
    execute(cat.CreateCategory(category_id=category, name="Drinks"), META)
    product = make_product("FUZZ1", "2.50", stock=50)
    till = make_till()
    session = execute(sal.OpenTillSession(session_id=uuid.uuid4(), till_id=till, cashier=cashier_user.username,
                                          opening_float=Decimal("100.00")), META)["id"]
    order = execute(sal.PlaceTillSale(
        order_id=uuid.uuid4(), till_id=till, cashier=cashier_user.username,
        lines=(sal.LineRequest(product_id=product, quantity=2, discount_percent=Decimal("0")),),
        payments=(sal.PaymentRequest(method="cash", amount=Decimal("5.00")),), customer_id=None, placed_at=None,
        max_discount_percent=Decimal("100")), META)["id"]
    customer = make_customer("Fuzz Customer")
    return {"category": category, "product": product, "till": till, "session": session, "order": order,
            "customer": customer}


def _known_ids(path: str, world: dict) -> dict:
    """Path parameters naming a seeded resource (by the collection the path is under)."""
    for prefix, key in (("/catalog/categories/", "category"), ("/catalog/products/", "product"),
                        ("/customers/", "customer"), ("/sales/orders/", "order"), ("/sales/sessions/", "session"),
                        ("/reports/z-reports/", "session"), ("/sales/tills/", "till")):
        if prefix in path and "{" in path:
            name = path.rsplit("{", 1)[1].split("}")[0]
            return {name: str(world[key])}
    return {}


def _headers(role, users, world) -> dict:
    from rest_framework_simplejwt.tokens import AccessToken

    if role == "anonymous":
        return {}
    token = till_token(users[role], world["till"]) if role == "cashier" else AccessToken.for_user(users[role])
    return {"Authorization": f"Bearer {token}"}


def _variants(operation, world):
    """Valid and invalid input with generated ids (mostly unknown: 404s), valid input naming a seeded resource."""
    from schemathesis import GenerationMode

    variants = [(GenerationMode.POSITIVE, None), (GenerationMode.NEGATIVE, None)]
    pinned = _known_ids(operation.path, world)
    if pinned:
        variants.append((GenerationMode.POSITIVE, pinned))
    return variants


def _fuzz(operation, mode, path_parameters, call) -> int:
    """Run `call(case)` on up to MAX_EXAMPLES generated cases; returns how many were generated."""
    from schemathesis import GenerationMode

    generated = []

    @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    def run(case):
        generated.append(case)
        call(case)

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid (no parameters, no body)
        assert mode == GenerationMode.NEGATIVE, operation.label
    return len(generated)


@pytest.mark.parametrize("role", ROLES)
def test_every_operation_answers_as_documented(role, api_schema, world, cashier_user, manager_user):
    users = {"manager": manager_user, "cashier": cashier_user}
    headers = _headers(role, users, world)
    checks = _checks()
    ip = random_client_ip()  # an address of its own; its throttle counters are cleared before each call

    def call(case):
        clear_throttle_state(ip)
        case.call_and_validate(headers=headers, checks=checks, environ_base={"REMOTE_ADDR": ip})

    operations = [result.ok() for result in api_schema.get_all_operations()]
    failures, examples = [], 0
    try:
        for operation in operations:
            for mode, path_parameters in _variants(operation, world):
                try:
                    examples += _fuzz(operation, mode, path_parameters, call)
                except (Exception, BaseExceptionGroup) as exc:  # collected: one run reports every operation at fault
                    ids = "seeded" if path_parameters else "generated"
                    failures.append(f"{operation.label} [{mode.value}, {ids} ids]: {str(exc)[:1500]}")
    finally:
        clear_throttle_state(ip)

    print(f"schemathesis {role}: {len(operations)} operations, {examples} examples")
    assert len(operations) >= 60 and examples >= len(operations) * 2
    assert not failures, f"{len(failures)} failing operation runs:\n\n" + "\n\n".join(failures)
