"""The layers are there and hold: each service shows api/, domain/ and store/, and nothing
under domain/ speaks HTTP (domain errors are mapped to answers in one place, the error
middleware)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ("intake", "booking", "notify", "reporting")
HTTP = ("aiohttp", "shared.http")


def imported(path: Path) -> set[str]:
    """Every module a file imports, at any depth (a function's late import counts too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


@pytest.mark.parametrize("service", SERVICES)
def test_the_folders_show_the_layers(service: str) -> None:
    folder = ROOT / "services" / service
    for layer in ("api", "domain", "store"):
        assert (folder / layer / "__init__.py").exists(), f"{service}/{layer}/"
        assert list((folder / layer).glob("[!_]*.py")), f"{service}/{layer}/ is empty"
    loose = sorted(p.name for p in folder.glob("*.py"))
    # Beside the layers only the start (app, settings, state, __main__) and the commands an
    # operator runs (python -m services.intake.rotate ...).
    commands = {"manage.py", "rotate.py", "rebuild.py"}
    assert set(loose) - commands <= {
        "__init__.py",
        "__main__.py",
        "app.py",
        "settings.py",
        "state.py",
    }


@pytest.mark.parametrize("service", SERVICES)
def test_no_domain_module_speaks_http(service: str) -> None:
    # Neither HTTP itself nor the API layer above it (whose request models speak HTTP).
    above = (*HTTP, f"services.{service}.api")
    for path in sorted((ROOT / "services" / service / "domain").glob("*.py")):
        speaking = {m for m in imported(path) if m.startswith(above)}
        assert not speaking, f"{path.relative_to(ROOT)} imports {sorted(speaking)}"


def test_the_check_sees_an_import_of_http(tmp_path: Path) -> None:
    # (the check above could pass by reading nothing: show it finds what it looks for)
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from shared.http import ApiError\n    import aiohttp\n")
    assert {"shared.http", "aiohttp"} <= imported(sample)


def test_every_domain_module_has_its_test() -> None:
    """A test file of its name, or (a use case seen through the service's API) the file the
    architecture page names for it."""
    page = (ROOT / "docs" / "architecture.md").read_text()
    named = dict(re.findall(r"^\| `(\w+/domain/\w+\.py)` \| `(tests/[\w/]+\.py)` \|$", page, re.M))
    assert named, "the architecture page's table of use cases is gone"
    for service in SERVICES:
        for module in sorted((ROOT / "services" / service / "domain").glob("[!_]*.py")):
            own = ROOT / "tests" / "services" / service / f"test_{module.stem}.py"
            elsewhere = named.get(f"{service}/domain/{module.name}")
            assert own.exists() or (elsewhere and (ROOT / elsewhere).exists()), module.name


def test_services_date_their_events_by_their_clock() -> None:
    """Every event a service makes says when by the service's clock (``occurred_at``), not
    by the system's, which the tests cannot move."""
    undated = []
    for path in sorted((ROOT / "services").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id == "new_event"
                and "occurred_at" not in {k.arg for k in node.keywords}
            ):
                undated.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert undated == [], undated
