"""Every problem `type` the code can answer with has a page in the registry, and the page is served.

The codes are read from the source rather than from a hand-kept list, so a new `code="..."`, a new
DomainError subclass (whose class name is its default code) or a new DRF exception `default_code`
fails here until the registry (infrastructure/http/problem_types.py) documents it."""

import ast
import re
from pathlib import Path

import pytest
from django.conf import settings
from rest_framework.exceptions import APIException, ValidationError

import infrastructure.access.scope  # noqa: F401  (defines APIException subclasses)
import infrastructure.access.tills  # noqa: F401
import infrastructure.http.auth_views  # noqa: F401
import rest_framework_simplejwt.exceptions  # noqa: F401
from infrastructure.http.problem_types import PROBLEM_TYPES
from infrastructure.http.problems import _kebab

pytestmark = pytest.mark.unit

ROOT = Path(settings.BASE_DIR)
SOURCES = sorted(p for folder in ("kernel", "contexts", "infrastructure") for p in (ROOT / folder).rglob("*.py"))
DOMAIN_ERROR_BASES = {"DomainError"}


def _codes_passed_to_domain_errors() -> set[str]:
    """`code="Xyz"` keyword arguments of raised errors (CamelCase: DomainError codes)."""
    found = set()
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Call):
                for keyword in node.keywords:
                    if (keyword.arg == "code" and isinstance(keyword.value, ast.Constant)
                            and re.fullmatch(r"[A-Z][A-Za-z]+", str(keyword.value.value))):
                        found.add(keyword.value.value)
    return found


def _domain_error_class_names() -> set[str]:
    """Names of DomainError and every subclass of it in the source (a class's default code)."""
    parents: dict[str, set[str]] = {}
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.ClassDef):
                parents[node.name] = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "") for b in node.bases}
    names = set(DOMAIN_ERROR_BASES)
    grew = True
    while grew:
        more = {name for name, bases in parents.items() if bases & names} - names
        names |= more
        grew = bool(more)
    return names


def _api_exception_codes() -> set[str]:
    """default_code of every APIException subclass loaded; a ValidationError is answered as
    `validation-error` whatever its code, and the bare base class is never raised."""
    seen, todo = set(), list(APIException.__subclasses__())
    while todo:
        cls = todo.pop()
        if not issubclass(cls, ValidationError):
            seen.add(cls.default_code)
        todo.extend(cls.__subclasses__())
    return seen


RAISED = sorted({_kebab(code) for code in _codes_passed_to_domain_errors() | _domain_error_class_names()})
API_LEVEL = sorted({_kebab(code) for code in _api_exception_codes()})
# Answers of problems.py's own handlers: the status-derived names and its explicit codes.
HANDLER_LEVEL = ["bad-request", "forbidden", "not-found", "internal-server-error", "validation-error",
                 "body-too-large", "database-unavailable", "login-locked"]


def test_the_source_scan_finds_the_codes_it_must():
    # Guards the scan itself: were it to find nothing, the tests below would pass vacuously.
    assert {"needs-manager", "unfinished-sales", "till-required", "customer-removed-error"} <= set(RAISED)
    assert {"throttled", "till-token-required", "store-out-of-scope"} <= set(API_LEVEL)


@pytest.mark.parametrize("name", RAISED + API_LEVEL + HANDLER_LEVEL)
def test_every_problem_type_the_code_answers_with_has_a_page(name):
    assert name in PROBLEM_TYPES, f"problem type {name!r} is raised but has no entry in problem_types.py"


def test_every_page_says_what_happened_why_and_what_to_do():
    for problem in PROBLEM_TYPES.values():
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", problem.name), problem.name
        assert 400 <= problem.status < 600, problem
        assert problem.title and problem.happened and problem.why and problem.todo, problem


@pytest.mark.django_db
def test_a_problem_page_is_html_for_a_person_and_json_when_asked(client):
    page = client.get("/api/problems/needs-manager/", HTTP_ACCEPT="text/html")
    assert page.status_code == 200 and page["Content-Type"].startswith("text/html")
    assert "Needs a manager" in page.content.decode() and "Ask a manager" in page.content.decode()

    data = client.get("/api/problems/needs-manager/", HTTP_ACCEPT="application/json")
    assert data.status_code == 200 and data["Content-Type"] == "application/json"
    assert data.json()["type"] == "http://testserver/api/problems/needs-manager/"
    assert data.json()["what_to_do"] == PROBLEM_TYPES["needs-manager"].todo

    index = client.get("/api/problems/?format=json")
    assert {p["name"] for p in index.json()["results"]} == set(PROBLEM_TYPES)


@pytest.mark.django_db
def test_an_unknown_problem_name_is_a_404_problem(client):
    response = client.get("/api/problems/no-such-thing/", HTTP_ACCEPT="application/json")
    assert response.status_code == 404 and response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_the_type_of_a_real_problem_answer_resolves_to_its_page(client):
    problem = client.get("/api/v1/auth/me/").json()  # no token: 401
    assert problem["type"] == "http://testserver/api/problems/not-authenticated/"

    page = client.get(problem["type"], HTTP_ACCEPT="application/json")
    assert page.status_code == 200 and page.json()["name"] == "not-authenticated"
