"""The dependency rules of DESIGN.md, checked on the source.

The import contracts in pyproject.toml (``[tool.importlinter]``: core imports no app and not
the project, no app imports the project, content does not depend on campaigns, content,
campaigns and the contract never import a channel adapter, adapters are independent of each
other) run here through import-linter, as ``make lint`` runs them, so a broken contract fails
the suite too. This file adds what the contracts cannot say:

- the contracts name every adapter package in the tree (the packages under ``channels/``,
  Django's own ``migrations``, ``management`` and ``templatetags`` aside), so a new adapter
  is covered the day it is added;
- campaigns, content and the contract import no adapter by a name given as a string either:
  ``import_module``, ``import_string`` and ``__import__`` called with a literal name count,
  and import-linter's graph does not see those. Every ``import`` and ``from ... import``
  counts too, wherever it stands (module level, inside a function, under ``TYPE_CHECKING``),
  relative ones resolved.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest
from importlinter import configuration
from importlinter.application import use_cases

ROOT = Path(__file__).resolve().parent.parent
# Packages under channels/ that are Django's, not adapters.
NOT_ADAPTERS = frozenset({"migrations", "management", "templatetags"})
# Modules that import by a name given as a string.
STRING_IMPORTERS = frozenset({"import_module", "import_string", "__import__"})


def adapter_packages() -> frozenset[str]:
    """``channels.<name>`` for every package directly under channels/ that is an adapter."""
    return frozenset(
        f"channels.{path.parent.name}"
        for path in (ROOT / "channels").glob("*/__init__.py")
        if path.parent.name not in NOT_ADAPTERS
    )


def guarded_files() -> list[Path]:
    """The files that must not import an adapter: content/, campaigns/ (but their
    migrations) and the contract and the registry themselves."""
    files = [
        path
        for app in ("content", "campaigns")
        for path in sorted((ROOT / app).rglob("*.py"))
        if "migrations" not in path.relative_to(ROOT / app).parts
    ]
    return [*files, *(ROOT / "channels" / name for name in ("base.py", "feeds.py", "registry.py"))]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    """The absolute module a ``from`` import names, relative ones resolved against ``module``."""
    if not node.level:
        return node.module or ""
    package = module.split(".") if is_package else module.split(".")[:-1]
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _imported(tree: ast.AST, module: str, is_package: bool):
    """(line, dotted name) of everything ``tree`` imports, as precisely as the syntax says."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            source = _resolve(node, module, is_package)
            yield node.lineno, source
            # ``from channels import newsletter`` imports the package channels.newsletter.
            for alias in node.names:
                yield node.lineno, f"{source}.{alias.name}"
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in STRING_IMPORTERS
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
            ):
                yield node.lineno, first.value


def forbidden_imports(
    source: str, *, module: str, forbidden: frozenset[str], is_package: bool = False
) -> list[tuple[int, str]]:
    """(line, imported name) for each import of a ``forbidden`` package or anything in one."""
    tree = ast.parse(source)
    found = {
        (line, name)
        for line, name in _imported(tree, module, is_package)
        if any(name == package or name.startswith(package + ".") for package in forbidden)
    }
    return sorted(found)


def offences(files: list[Path], forbidden: frozenset[str]) -> list[str]:
    """One line ("path:line imports name") per forbidden import in ``files``."""
    return [
        f"{path.relative_to(ROOT)}:{line} imports {name}"
        for path in files
        for line, name in forbidden_imports(
            path.read_text(encoding="utf-8"),
            module=module_name(path),
            forbidden=forbidden,
            is_package=path.name == "__init__.py",
        )
    ]


def test_the_adapter_packages_are_found_from_the_tree():
    assert {
        "channels.newsletter",
        "channels.webshop",
        "channels.print_catalogue",
        "channels.marketplace",
    } <= adapter_packages()
    assert "channels.migrations" not in adapter_packages()


def test_campaigns_content_and_the_contract_import_no_channel_adapter():
    found = offences(guarded_files(), adapter_packages())

    assert not found, "Import channels.base and channels.registry instead:\n" + "\n".join(found)


def test_the_import_contracts_hold():
    configuration.configure()  # what the lint-imports command does first

    # The report (each contract kept or broken, and the offending imports) is the output.
    kept = use_cases.lint_imports(
        config_filename=str(ROOT / "pyproject.toml"), cache_dir=None, no_logo=True
    )

    assert kept, "an import contract of pyproject.toml is broken; see the report above"


def _contract(name: str) -> dict:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    [contract] = [c for c in config["tool"]["importlinter"]["contracts"] if c["name"] == name]
    return contract


def test_the_import_contracts_name_every_adapter_package():
    forbidden = _contract("Content, campaigns and the contract never import a channel adapter")
    independent = _contract("Channel adapters are independent of each other")

    read_no_app = _contract("Channel adapters read no app: campaigns prepare every fact they use")

    assert set(forbidden["forbidden_modules"]) == adapter_packages()
    assert set(independent["modules"]) == adapter_packages()
    assert set(read_no_app["source_modules"]) == adapter_packages()


ADAPTERS = frozenset({"channels.newsletter", "channels.webshop"})


@pytest.mark.parametrize(
    ("source", "module", "expected"),
    [
        ("import channels.newsletter", "campaigns.x", [(1, "channels.newsletter")]),
        ("import channels.newsletter.sns as sns", "campaigns.x", [(1, "channels.newsletter.sns")]),
        (
            "from channels.newsletter.sns import MailFeedback",
            "campaigns.services.feedback",
            [(1, "channels.newsletter.sns"), (1, "channels.newsletter.sns.MailFeedback")],
        ),
        ("from channels import webshop", "content.x", [(1, "channels.webshop")]),
        (
            "def later():\n    from channels.newsletter import NewsletterChannel\n",
            "campaigns.x",
            [(2, "channels.newsletter"), (2, "channels.newsletter.NewsletterChannel")],
        ),
        (
            "from .newsletter import views",
            "channels.base",
            [(1, "channels.newsletter"), (1, "channels.newsletter.views")],
        ),
        ("from . import webshop", "channels.registry", [(1, "channels.webshop")]),
        (
            "from importlib import import_module\nimport_module('channels.webshop')",
            "content.x",
            [(2, "channels.webshop")],
        ),
        (
            "import_string('channels.newsletter.NewsletterChannel')",
            "campaigns.x",
            [(1, "channels.newsletter.NewsletterChannel")],
        ),
    ],
    ids=[
        "import",
        "import-submodule",
        "from-submodule",
        "from-channels-import-adapter",
        "inside-a-function",
        "relative",
        "relative-package",
        "import_module",
        "import_string",
    ],
)
def test_the_checker_finds_an_adapter_import(source, module, expected):
    assert forbidden_imports(source, module=module, forbidden=ADAPTERS) == expected


@pytest.mark.parametrize(
    "source",
    [
        "from channels.base import DeliveryFeedback",
        "from channels import base, registry",
        "import channels.registry",
        "from channels.models import ApiClient",
        "from channels.newsletter_stats import x",  # a name that only starts like one
        "value = 'channels.newsletter'",  # a string is not an import
    ],
)
def test_the_checker_lets_the_contract_and_the_registry_through(source):
    assert forbidden_imports(source, module="campaigns.x", forbidden=ADAPTERS) == []
