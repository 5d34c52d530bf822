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
                    if keyword.arg == "code":
                        found |= {code for code in _literals(keyword.value) if re.fullmatch(r"[A-Z][A-Za-z]+", code)}
    return found


def _literals(node) -> list[str]:
    """The string literals an expression can be: a literal, or either branch of `"A" if ... else "B"`."""
    if isinstance(node, ast.Constant):
        return [node.value] if isinstance(node.value, str) else []
    if isinstance(node, ast.IfExp):
        return _literals(node.body) + _literals(node.orelse)
    return []


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
    assert {"needs-manager", "unfinished-sales", "till-required", "customer-removed-error", "card-overpayment",
            "tender-gives-no-change"} <= set(RAISED)
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


def _raises_with_a_computed_code() -> list[str]:
    """`raise SomeError(..., code=<not a literal>)`: a code the scan above cannot read, so it could name
    a type without a page (a stock reservation once raised `code=problem`: "insufficient_stock")."""
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call)
                    and getattr(node.exc.func, "attr", None) != "ValidationError"):  # a form's, not an answer's
                for keyword in node.exc.keywords:
                    if keyword.arg == "code" and not (_literals(keyword.value) or isinstance(keyword.value, ast.Constant)):
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_error_is_raised_with_a_code_the_scan_cannot_read():
    assert not _raises_with_a_computed_code(), "raise with a literal code= (one that has a page)"


def _problem_responses() -> list[tuple[str, str | None]]:
    """The type name of every `problem_response(request, status, detail, code=...)` and `problem_body(status, ...)`
    call outside problems.py's own exception handler: its literal code, else the name its literal status gives
    (a 413 without a code was `request-entity-too-large`, which has no page). None when it cannot be read."""
    from http import HTTPStatus

    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                    in ("problem_response", "problem_body")):
                continue
            where = f"{path.relative_to(ROOT)}:{node.lineno}"
            code = next((k.value for k in node.keywords if k.arg == "code"), None)
            status = node.args[1 if node.func.id == "problem_response" else 0] if node.args else None
            if code is not None:
                name = code.value if isinstance(code, ast.Constant) else None
            elif isinstance(status, ast.Constant):
                name = HTTPStatus(status.value).phrase.lower().replace(" ", "-")
            elif isinstance(status, ast.Attribute) and status.attr.startswith("HTTP_"):
                name = HTTPStatus(int(status.attr.split("_")[1])).phrase.lower().replace(" ", "-")
            else:
                name = None
            found.append((where, name))
    return found


# problems.py builds these from the exception it handles (a DomainError's code, a DRF exception's
# default_code, the response's status): the scans above cover those codes.
COMPUTED_IN_THE_HANDLER = {"infrastructure/http/problems.py:74", "infrastructure/http/problems.py:118",
                           "infrastructure/http/problems.py:162"}


def test_every_problem_answer_built_outside_the_handler_has_a_page():
    found = [(where, name) for where, name in _problem_responses() if where not in COMPUTED_IN_THE_HANDLER]
    assert len(found) >= 8, found  # guards the scan itself
    missing = [(where, name) for where, name in found if name not in PROBLEM_TYPES]
    assert not missing, f"problem answers whose type has no page (pass code=...): {missing}"
