"""Asserting that a problem answer's `type` is a page of the problem-type registry."""

from urllib.parse import urlsplit

from infrastructure.http.problem_types import PROBLEM_TYPES, PROBLEMS_PATH


def registered_problem_name(type_uri: str) -> str:
    """The registry name a `type` URI points at; fails when it points anywhere else."""
    path = urlsplit(type_uri).path
    assert path.startswith(PROBLEMS_PATH) and path.endswith("/"), f"{type_uri} is not a problem page"
    name = path[len(PROBLEMS_PATH):-1]
    assert name in PROBLEM_TYPES, f"{type_uri} names no registered problem type"
    return name
