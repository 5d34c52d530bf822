"""Every API endpoint, as (method, path pattern), read from the URL resolver.

Used by the permission matrix (`infrastructure/access/matrix.py`) and its test, which fails when an
endpoint exists without a row in the matrix. Path patterns are normalised to `{name}` placeholders:
`/api/v1/sales/tills/{pk}/open/`. DRF's `.json`-style format-suffix duplicates are left out (same
view, same permissions), as are HEAD and OPTIONS (answered by the same permission checks as GET).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

METHODS = ("get", "post", "put", "patch", "delete")


@dataclass(frozen=True, order=True)
class Endpoint:
    path: str
    method: str
    view: str

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def _regex_to_path(regex: str) -> str:
    """`^tills/(?P<pk>[^/.]+)/open/$` -> `tills/{pk}/open/`."""
    out, i = [], 0
    while i < len(regex):
        if regex.startswith("(?P<", i):
            name_end = regex.index(">", i)
            name = regex[i + 4:name_end]
            depth, j = 1, name_end + 1
            while depth:
                if regex[j] == "\\":
                    j += 2
                    continue
                depth += {"(": 1, ")": -1}.get(regex[j], 0)
                j += 1
            out.append("{" + name + "}")
            i = j
        elif regex[i] in "^$":
            i += 1
        elif regex[i] == "\\":
            out.append(regex[i + 1])
            i += 2
        else:
            out.append(regex[i])
            i += 1
    return "".join(out)


def _segment(pattern) -> str:
    route = getattr(pattern.pattern, "_route", None)
    if route is not None:
        return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
    return _regex_to_path(pattern.pattern.regex.pattern)


def _methods(callback) -> tuple[list[str], str]:
    actions = getattr(callback, "actions", None)
    cls = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    name = f"{cls.__module__}.{cls.__qualname__}" if cls else f"{callback.__module__}.{callback.__qualname__}"
    if actions:  # a ViewSet route: {"get": "list", "post": "create"}
        return sorted(m for m in actions if m in METHODS), name
    if cls is not None:
        allowed = [m for m in METHODS if hasattr(cls, m)]
        if hasattr(cls, "http_method_names"):
            allowed = [m for m in allowed if m in cls.http_method_names]
        return allowed, name
    return ["get"], name


def _walk(patterns, prefix: str):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _walk(pattern.url_patterns, prefix + _segment(pattern))
        elif isinstance(pattern, URLPattern):
            yield prefix + _segment(pattern), pattern.callback


def api_endpoints(urlconf=None) -> list[Endpoint]:
    found = set()
    for path, callback in _walk(get_resolver(urlconf).url_patterns, "/"):
        if not path.startswith("/api/") or "{format}" in path:
            continue
        methods, name = _methods(callback)
        for method in methods:
            found.add(Endpoint(path=path, method=method.upper(), view=name))
    return sorted(found)
