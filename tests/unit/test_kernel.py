"""The kernel imports nothing from Django or infrastructure/, and a context's domain/ depends only
on the kernel, the standard library and its own context: domain code runs without a framework."""

import ast
import sys
from pathlib import Path

import pytest

from kernel.email import is_valid_email

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
STDLIB = set(sys.stdlib_module_names) | {"__future__"}


def imported_roots(path: Path) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_the_kernel_imports_only_the_standard_library_and_itself():
    files = sorted((ROOT / "kernel").glob("*.py"))
    assert files
    for path in files:
        assert imported_roots(path) <= STDLIB | {"kernel"}, (path.name, imported_roots(path) - STDLIB)


def test_every_context_domain_depends_only_on_the_kernel():
    files = sorted(ROOT.glob("contexts/*/domain/*.py"))
    assert len(files) > 10
    for path in files:
        foreign = imported_roots(path) - STDLIB - {"kernel", "contexts"}
        assert not foreign, f"{path.relative_to(ROOT)} imports {sorted(foreign)}"
        own = path.parts[path.parts.index("contexts") + 1]
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module.startswith("contexts."):
                assert node.module.split(".")[1] == own, f"{path.relative_to(ROOT)} imports {node.module}"


ADDRESSES = ["ann@example.com", "ann.lee+pos@shop.example.de", "a@localhost", "x@[127.0.0.1]", "x@[::1]",
             '"ann lee"@example.com', "ann@bücher.de", "ann@xn--bcher-kva.de", "ann@", "@example.com",
             "ann@example", "ann@-example.com", "ann@exa mple.com", "ann..lee@example.com", "ann@[999.1.1.1]",
             "ann@example.c", "ann@@example.com", "a" * 310 + "@example.com", "", "ann lee@example.com"]


@pytest.mark.parametrize("address", ADDRESSES)
def test_email_syntax_is_djangos(address):
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    try:
        validate_email(address)
        django_says = True
    except ValidationError:
        django_says = False
    assert is_valid_email(address) is django_says
