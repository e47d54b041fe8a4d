"""The read path, checked on the source (AST), not by convention.

campaigns/ and channels/ read content only through ``content.selectors``: they do not import
``content.models`` (type annotations under ``if TYPE_CHECKING:`` excepted, they run no
query). Migrations are Django's and exempt; the allow-list names each other exception and
why. An import-linter contract cannot say this: it would have to leave out every
``TYPE_CHECKING`` import of the project, or none. That no app imports the project package
``hub`` is an import contract (tests/test_architecture.py runs them).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Path (from the repository root) -> why it may import content.models.
CONTENT_MODELS_ALLOWED: dict[str, str] = {}


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_modules(source: str) -> list[tuple[int, str]]:
    """(line, dotted module) of every import that runs, ``from a import b`` as ``a.b``.

    Imports inside ``if TYPE_CHECKING:`` are left out; relative imports never leave their
    package, so they are left out too.
    """
    found: list[tuple[int, str]] = []

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            found.append((node.lineno, node.module))
            found.extend((node.lineno, f"{node.module}.{alias.name}") for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return found


def _modules(*packages: str):
    for package in packages:
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if "/migrations/" not in relative:
                yield relative, path.read_text()


def content_model_imports(relative: str, source: str) -> list[str]:
    return [
        f"{relative}:{line} imports {module}"
        for line, module in imported_modules(source)
        if module == "content.models" or module.startswith("content.models.")
    ]


def test_campaigns_and_channels_read_content_only_through_its_selectors():
    offenders = [
        offence
        for relative, source in _modules("campaigns", "channels")
        if relative not in CONTENT_MODELS_ALLOWED
        for offence in content_model_imports(relative, source)
    ]

    assert offenders == [], "use content.selectors instead:\n" + "\n".join(offenders)


def test_the_allow_list_names_only_modules_that_need_it():
    sources = dict(_modules("campaigns", "channels"))

    stale = [
        relative
        for relative in CONTENT_MODELS_ALLOWED
        if relative not in sources or not content_model_imports(relative, sources[relative])
    ]

    assert stale == []


@pytest.mark.parametrize(
    "source",
    [
        "from content.models import Product\n",
        "import content.models\n",
        "from content import models\n",
        "def f():\n    from content.models import Category\n",
    ],
)
def test_the_check_catches_every_form_of_the_import(source):
    assert content_model_imports("campaigns/example.py", source)


def test_the_check_leaves_type_annotations_and_selectors_alone():
    source = (
        "from typing import TYPE_CHECKING\n"
        "from content.selectors import live_products\n"
        "if TYPE_CHECKING:\n"
        "    from content.models import Product\n"
    )

    assert content_model_imports("campaigns/example.py", source) == []
