"""What a change to the OpenAPI schema breaks, for the rule that /api/v1 only grows.

    breaking_changes(committed, live)   # -> ["removed operation GET /api/v1/x/", ...]
    unrecorded(changes, changelog_text) # -> those not written in docs/api/CHANGELOG.md

The schemas are compared by what a client sees, not by component names (a renamed component is
not a change): each operation's parameters, and the fields of its request body and of each answer,
flattened to paths (`POST /api/v1/sales/orders/ 201 .lines[].total`) with their types. Breaking:
a path, an operation, a parameter, a field or an enum value (`... 201 .status=completed`) gone (but
not an input's enum values when the input now takes any string: widened, not narrowed); a
field's type or nullability changed; a request field or parameter that became required. Anything else (new operations, fields, descriptions,
examples) is an addition, which only needs the committed copy refreshed (`make schema`).
"""

from __future__ import annotations

METHODS = ("get", "put", "post", "patch", "delete")
MAX_DEPTH = 8  # nested serializers are shallower; this stops a self-referencing schema


def _resolve(document: dict, node: dict) -> dict:
    while "$ref" in node or len(node.get("allOf", ())) == 1:
        if "allOf" in node:  # drf-spectacular wraps a $ref in allOf to add a default or a description
            wrapper = {k: v for k, v in node.items() if k != "allOf"}
            node = {**_resolve(document, node["allOf"][0]), **wrapper}
            continue
        _, _, name = node["$ref"].rpartition("/")
        node = document["components"]["schemas"][name]
    return node


def _type(node: dict) -> str:
    kind = node.get("type") or ("enum" if "enum" in node else "any")
    if node.get("format") and node.get("format") != "uri":
        kind += f"/{node['format']}"
    return kind + ("?" if node.get("nullable") else "")


def fields(document: dict, node: dict, prefix: str = "", depth: int = 0) -> dict[str, tuple[str, bool]]:
    """{field path: (type, required)} of a schema, its nested objects and array items included."""
    node = _resolve(document, node)
    out: dict[str, tuple[str, bool]] = {}
    for value in node.get("enum", []) if prefix else []:  # a value taken away breaks; a new one may come
        out[f"{prefix}={value}"] = ("enum value", False)
    for part in node.get("allOf", []) + node.get("oneOf", []) + node.get("anyOf", []):
        out.update(fields(document, part, prefix, depth + 1))
    if depth > MAX_DEPTH:
        return out
    required = set(node.get("required", []))
    for name, child in node.get("properties", {}).items():
        resolved = _resolve(document, child)
        path = f"{prefix}.{name}"
        out[path] = (_type({**resolved, **{k: v for k, v in child.items() if k == "nullable"}}), name in required)
        out.update(fields(document, resolved, path, depth + 1))
    if node.get("type") == "array" and "items" in node:
        out.update(fields(document, node["items"], f"{prefix}[]", depth + 1))
    return out


def surface(document: dict) -> dict[str, tuple[str, bool, str]]:
    """Everything a client relies on: {"kind METHOD /path/ where .field": (type, required in a request, operation)}."""
    out: dict[str, tuple[str, bool, str]] = {}
    for path, operations in document.get("paths", {}).items():
        out[f"path {path}"] = ("path", False, "")
        for method, operation in operations.items():
            if method not in METHODS:
                continue
            name = f"{method.upper()} {path}"
            out[f"operation {name}"] = ("operation", False, "")
            for parameter in operation.get("parameters", []):
                out[f"parameter {name} {parameter['in']} {parameter['name']}"] = (
                    _type(parameter.get("schema", {})), bool(parameter.get("required")), name)
            body = operation.get("requestBody", {}).get("content", {}).get("application/json", {})
            if "schema" in body:
                for field, (kind, required) in fields(document, body["schema"]).items():
                    out[f"field {name} request {field}"] = (kind, required, name)
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get("application/json", {})
                if status.startswith("2") and "schema" in content:
                    for field, (kind, _) in fields(document, content["schema"]).items():
                        out[f"field {name} {status} {field}"] = (kind, False, name)
    return out


def breaking_changes(committed: dict, live: dict) -> list[str]:
    before, after = surface(committed), surface(live)
    changes = []
    for key, (kind, required, _) in before.items():
        if key not in after and _widened(key, after):
            continue
        if key not in after:
            changes.append(f"removed {key}")
        elif after[key][0] != kind:
            changes.append(f"changed type {key}: {kind} -> {after[key][0]}")
        elif after[key][1] and not required:
            changes.append(f"made required {key}")
    for key, (_, required, operation) in after.items():
        # A new required input of an operation that existed (not of a new one, nor inside a new object).
        parent = key.rsplit(".", 1)[0]
        if (key not in before and required and f"operation {operation}" in before
                and (parent in before or not parent.startswith("field ") or parent.endswith(" request "))):
            changes.append(f"added required {key}")
    return sorted(changes)


def _widened(key: str, after: dict) -> bool:
    """An input's enum value gone because the input now takes any string (`cash | card` became a
    tender code): every request that was valid still is."""
    field, equals, _ = key.partition("=")
    return (" request " in field and bool(equals) and field in after
            and not any(other.startswith(f"{field}=") for other in after))


def unrecorded(changes: list[str], changelog: str) -> list[str]:
    """The changes the changelog does not name, each written as it is here (in backticks, say)."""
    return [change for change in changes if change not in changelog]
