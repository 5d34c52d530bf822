"""The repository as a newcomer meets it: the two commands stay what the README promises (`make
run` installs the runtime dependencies only, `make test` adds the test tools), and nothing in it
points outside it."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
TEST_TOOLS = {"pytest", "pytest-django", "playwright", "schemathesis", "ruff", "cloudevents"}


def requirement_names(path: Path) -> set[str]:
    names = set()
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(re.split(r"[\[=<>~! ]", line, maxsplit=1)[0].lower())
    return names


def prerequisites(target: str) -> list[str]:
    match = re.search(rf"^{re.escape(target)}:([^\n=]*)$", (ROOT / "Makefile").read_text(), re.MULTILINE)
    assert match, f"no `{target}:` rule in the Makefile"
    return match.group(1).split()


def test_runtime_requirements_hold_no_test_tool():
    runtime, dev = requirement_names(ROOT / "requirements.txt"), requirement_names(ROOT / "requirements-dev.txt")
    assert not runtime & TEST_TOOLS, runtime & TEST_TOOLS
    assert TEST_TOOLS <= dev


def test_make_run_installs_only_the_runtime_and_make_test_the_tools():
    makefile = (ROOT / "Makefile").read_text()
    # the browser till is built (npm ci + esbuild, frontend/till/) for every mode: it is part of
    # what `make run` serves, and its build tools are not the test toolchain
    assert prerequisites("run") == ["$(STAMP)", "$(TILL_STAMP)"] and prerequisites("run-full") == ["$(STAMP)", "$(TILL_STAMP)"]
    assert prerequisites("test") == ["$(DEV_STAMP)", "$(TILL_STAMP)"]
    assert "$(DEV_STAMP)" not in re.search(r"^\$\(TILL_STAMP\):(.*(?:\\\n.*)*)", makefile, re.MULTILINE).group(1)
    stamp_rule = re.search(r"^\$\(STAMP\):.*\n((?:\t.*\n)+)", makefile, re.MULTILINE).group(1)
    assert "-r requirements.txt" in stamp_rule and "requirements-dev" not in stamp_rule
    dev_rule = re.search(r"^\$\(DEV_STAMP\):.*\n((?:\t.*\n)+)", makefile, re.MULTILINE).group(1)
    assert "-r requirements-dev.txt" in dev_rule


def test_nothing_in_the_repository_points_outside_it():
    """The repository documents itself: no link to a design file kept beside it (../shared)."""
    import subprocess

    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    this = Path(__file__).relative_to(ROOT).as_posix()
    offenders = []
    for name in files:
        path = ROOT / name
        if name == this or not path.is_file() or path.suffix in {".png", ".jar", ".gz"}:
            continue
        text = path.read_text(errors="replace")
        offenders += [f"{name}: {word}" for word in ("../shared", "DESIGN.md") if word in text]
    assert not offenders, offenders
