"""Run a markdown guide's shell steps as HTTP requests, so the guide cannot go stale.

A guide (docs/building-a-till.md) is a list of ```bash blocks, each followed (after prose, if
any) by an ```http block with the answer it shows. The bash blocks use a small subset of the shell
a reader types, and only that subset is accepted (an unknown line fails the test rather than being
skipped):

    POS=http://127.0.0.1:8000                        # an assignment
    curl -s "$POS/api/v1/..." -H "K: $V" -d '{...}'  # one request, its answer shown below
    NOW=$(date -u +%Y-%m-%dT%H:%M:%SZ)                # the current UTC time
    LOGIN=$(curl -s ...)                             # the same, its body kept in $LOGIN
    ACCESS=$(echo "$LOGIN" | jq -r .access)          # a value of a kept body
    ORDER=$(curl -s ... | jq -r .id)                 # a request whose answer's .id is kept
    curl ... --data @- <<EOF                         # a body on the lines up to EOF ($VARs expand)
    ID=$(curl ... --data @- <<EOF | jq -r .id        # the same, keeping the answer's .id (`)` after EOF)

An answer block is `HTTP/1.1 <status> <reason>`, optional header lines, an empty line and the JSON
body. `mismatches()` compares a shown body with the real one: the same keys at every level; the same
scalar values, except that a shown id, token or time stands for any value of its kind, and a
shown "…" for any string (a secret that differs each time).
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field

FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.M | re.S)
CAPTURE = re.compile(r"^(\w+)=\$\((.*)\)$", re.S)
JQ_TAIL = re.compile(r"\|\s*jq -r\s+'?([.\w\[\]]+)'?\s*$")
ECHO = re.compile(r'^echo "\$(\w+)"$')
DATE = "date -u +%Y-%m-%dT%H:%M:%SZ"
ASSIGN = re.compile(r"^(\w+)=(\S+)$")
VARIABLE = re.compile(r"\$\{?(\w+)\}?")


@dataclass
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: str | None


@dataclass
class Step:
    """One bash block: assignments, or one request (with what it keeps) and the answer shown for it."""

    source: str
    line: int
    assignments: list[tuple[str, str]] = field(default_factory=list)  # (name, raw value or `echo` of a var)
    curl: str | None = None
    stdin: str | None = None
    keep_as: str | None = None
    keep_path: str | None = None
    answer_status: int | None = None
    answer_headers: dict[str, str] = field(default_factory=dict)
    answer_body: object = None


def parse(markdown: str) -> list[Step]:
    steps: list[Step] = []
    for match in FENCE.finditer(markdown):
        lang, text = match.group(1), match.group(2)
        line = markdown.count("\n", 0, match.start()) + 1
        if lang == "bash":
            steps.append(_parse_bash(text, line))
        elif lang == "http":
            owner = next((s for s in reversed(steps) if s.curl), None)
            assert owner is not None and owner.answer_status is None, f"line {line}: an answer without its request"
            _parse_answer(owner, text, line)
    for step in steps:
        assert step.curl is None or step.answer_status is not None, f"line {step.line}: a request shows no answer"
    return steps


def _parse_bash(text: str, line: int) -> Step:
    step = Step(source=text, line=line)
    # A heredoc body is taken out first; continuation lines are joined.
    if "<<EOF" in text:
        head, _, rest = text.partition("<<EOF")
        same_line, _, rest = rest.partition("\n")  # e.g. ` | jq -r .id` after the heredoc's start
        body, _, tail = rest.partition("\nEOF")
        assert tail.strip() in ("", ")"), f"line {line}: only the `)` of a $( may follow EOF"
        step.stdin = body
        text = head + same_line + tail.strip()
    commands = [c.strip() for c in text.replace("\\\n", " ").splitlines() if c.strip() and not c.startswith("#")]
    for command in commands:
        captured = CAPTURE.match(command)
        if captured:
            name, inner = captured.groups()
            jq = JQ_TAIL.search(inner)
            inner = inner[:jq.start()].strip() if jq else inner.strip()
            if inner == DATE:
                step.assignments.append((name, "$(date)"))
                continue
            echoed = ECHO.match(inner)
            if echoed:
                assert jq, f"line {line}: `echo` is only used to feed jq"
                step.assignments.append((name, f"${echoed.group(1)}{jq.group(1)}"))
                continue
            assert inner.startswith("curl ") and step.curl is None, f"line {line}: unsupported: {command}"
            step.curl, step.keep_as, step.keep_path = inner, name, jq.group(1) if jq else None
        elif command.startswith("curl "):
            assert step.curl is None, f"line {line}: one request per block"
            step.curl = command
        elif ASSIGN.match(command):
            step.assignments.append(ASSIGN.match(command).groups())
        else:
            raise AssertionError(f"line {line}: a command the guide runner does not know: {command}")
    return step


def _parse_answer(step: Step, text: str, line: int) -> None:
    head, _, body = text.partition("\n\n")
    status_line, *header_lines = head.splitlines()
    parts = status_line.split()
    assert parts[0] == "HTTP/1.1" and parts[1].isdigit(), f"line {line}: an answer starts `HTTP/1.1 <status>`"
    step.answer_status = int(parts[1])
    for header in header_lines:
        name, _, value = header.partition(":")
        step.answer_headers[name.strip().lower()] = value.strip()
    step.answer_body = json.loads(body) if body.strip() else None


def expand(text: str, variables: dict[str, str]) -> str:
    def value(match):
        assert match.group(1) in variables, f"${match.group(1)} is used before it is set"
        return variables[match.group(1)]

    return VARIABLE.sub(value, text)


def request_of(step: Step, variables: dict[str, str]) -> Request:
    """The request a curl command line makes (only the flags the guide uses)."""
    # Single-quoted text is not expanded by the shell; the guide keeps `$` out of it.
    args = shlex.split(expand(step.curl, variables))[1:]
    method, url, headers, body = None, None, {}, None
    flags = iter(args)
    for arg in flags:
        if arg in ("-s", "-sS", "-S", "--silent", "--show-error"):
            continue
        if arg in ("-X", "--request"):
            method = next(flags)
        elif arg in ("-H", "--header"):
            name, _, value = next(flags).partition(":")
            headers[name.strip()] = value.strip()
        elif arg in ("-d", "--data", "--data-raw"):
            data = next(flags)
            body = expand(step.stdin, variables) if data == "@-" else data
        elif arg.startswith("-"):
            raise AssertionError(f"line {step.line}: curl flag {arg} is not supported by the guide runner")
        else:
            assert url is None, f"line {step.line}: two URLs"
            url = arg
    return Request(method or ("POST" if body is not None else "GET"), url, headers, body)


def jq(value, path: str):
    """`jq -r` of a path like `.results[0].id` (the subset the guide uses)."""
    for name, index in re.findall(r"\.(\w+)|\[(\d+)\]", path):
        value = value[name] if name else value[int(index)]
    return value if isinstance(value, str) else json.dumps(value)


# What differs from run to run, each replaced by its kind before comparing (a JWT is shown cut short).
VOLATILE = [(re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "<uuid>"),
            (re.compile(r"eyJ[\w.-]*…?"), "<jwt>"),
            (re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?"), "<time>"),
            (re.compile(r"\b[0-9a-f]{32}\b"), "<hex>")]


def _normal(text: str) -> str:
    for pattern, kind in VOLATILE:
        text = pattern.sub(kind, text)
    return text



def mismatches(shown, actual, path: str = "") -> list[str]:
    """Where a shown body differs from the real one (empty: it matches)."""
    where = path or "the body"
    if isinstance(shown, dict):
        if not isinstance(actual, dict):
            return [f"{where}: shown an object, got {actual!r}"]
        problems = []
        if set(shown) != set(actual):
            problems.append(f"{where}: keys shown {sorted(shown)}, got {sorted(actual)}")
        for key in set(shown) & set(actual):
            problems += mismatches(shown[key], actual[key], f"{path}.{key}")
        return problems
    if isinstance(shown, list):
        if not isinstance(actual, list) or len(actual) != len(shown):
            return [f"{where}: shown a list of {len(shown)}, got {actual!r}"[:300]]
        return [p for i, (s, a) in enumerate(zip(shown, actual)) for p in mismatches(s, a, f"{path}[{i}]")]
    if shown == "…" and isinstance(actual, str):
        return []
    if isinstance(shown, str) and isinstance(actual, str):
        return [] if _normal(shown) == _normal(actual) else [f"{where}: shown {shown!r}, got {actual!r}"]
    return [] if shown == actual else [f"{where}: shown {shown!r}, got {actual!r}"]


def assign(raw: str, variables: dict[str, str]) -> str:
    """The value of an assignment as parsed: `$(date)`, `$VAR.path` (echo "$VAR" | jq -r .path) or text."""
    if raw == "$(date)":
        from datetime import UTC, datetime

        return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    kept = re.match(r"^\$(\w+)(\..*)$", raw)
    if kept:
        return jq(json.loads(variables[kept.group(1)]), kept.group(2))
    return expand(raw, variables)


@dataclass
class Outcome:
    step: Step
    request: Request
    status: int
    headers: dict[str, str]
    body: object

    def wrong(self) -> list[str]:
        """How the real answer differs from the one the guide shows."""
        problems = [] if self.status == self.step.answer_status else [
            f"status {self.status}, shown {self.step.answer_status}"]
        for name, value in self.step.answer_headers.items():
            problems += [f"header {name}: {p}" for p in mismatches(value, self.headers.get(name))]
        if self.step.answer_body is not None:
            problems += mismatches(self.step.answer_body, self.body)
        return problems


def run(markdown: str, send) -> list[Outcome]:
    """Every request of the guide in order; `send(request)` returns an httpx-like response."""
    variables: dict[str, str] = {}
    outcomes = []
    for step in parse(markdown):
        for name, raw in step.assignments:
            variables[name] = assign(raw, variables)
        if not step.curl:
            continue
        request = request_of(step, variables)
        answer = send(request)
        body = answer.json() if answer.content and "json" in answer.headers.get("content-type", "") else None
        outcomes.append(Outcome(step, request, answer.status_code, dict(answer.headers), body))
        if step.keep_as:
            variables[step.keep_as] = jq(body, step.keep_path) if step.keep_path else answer.text
    return outcomes
