"""The docs say what the code does: every setting the services read is in the README."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from services.booking.settings import BookingSettings
from services.intake.settings import IntakeSettings
from services.notify.settings import NotifySettings
from services.reporting.settings import ReportingSettings
from shared.settings import ServiceSettings

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


@pytest.mark.parametrize(
    "settings", [IntakeSettings, BookingSettings, NotifySettings, ReportingSettings]
)
def test_every_setting_is_in_the_readme(settings: type[ServiceSettings]) -> None:
    for name in settings.model_fields:
        names = settings.env_names(name)
        shared_name = names[-1]
        documented = (
            f"`{names[0]}`" in README
            or f"`{shared_name}`" in README
            or f"`<SERVICE>_{name.upper()}`" in README
        )
        assert documented, f"{names[0]} is not in the README's configuration table"


def test_the_access_table_in_the_api_docs_is_the_enforced_one() -> None:
    from deploy.apidocs import DOC, rewritten

    text = DOC.read_text()
    assert rewritten(text) == text, "docs/api.md differs: run python -m deploy.apidocs"


def test_the_architecture_page_names_every_kernel_module() -> None:
    docs = (Path(__file__).resolve().parents[1] / "docs" / "architecture.md").read_text()
    shared = Path(__file__).resolve().parents[1] / "shared"
    modules = sorted(p.name for p in shared.glob("*.py") if p.name != "__init__.py")
    missing = [m for m in modules if f"| `{m}` |" not in docs]
    assert missing == [], f"docs/architecture.md's kernel table lacks {missing}"


def test_the_readme_layout_is_the_tree() -> None:
    """Every folder the README's layout names is there, every top-level package is named,
    and the files it names are where it says."""
    root = Path(__file__).resolve().parents[1]
    block = README.split("The layout:", 1)[1].split("```", 2)[1]
    lines = {line.split()[0]: line for line in block.splitlines() if line[:1].strip()}
    packages = {f"{p.name}/" for p in root.iterdir() if (p / "__init__.py").exists()}
    assert packages <= set(lines), f"the layout does not name {sorted(packages - set(lines))}"
    assert all((root / folder).is_dir() for folder in lines), sorted(lines)

    def named(folder: str) -> str:  # a folder's lines: its own and those that follow it
        return block.split(folder, 1)[1].split(
            "\n" + next((f for f in lines if block.index(f) > block.index(folder)), "\0"), 1
        )[0]

    for name in re.findall(r"[\w-]+\.(?:py|yaml)|Dockerfile|[a-z0-9]+/", named("deploy/")):
        found = (root / "deploy" / name).exists() or (root / "deploy" / "stack" / name).exists()
        assert found, f"deploy/{name} is named but missing"
    services = named("services/")
    for name in re.findall(r"[\w]+\.py|[a-z]+/", services.split("\n", 1)[1]):
        having = [
            s
            for s in ("intake", "booking", "notify", "reporting")
            if (root / "services" / s / name).exists()
            or any((root / "services" / s).glob(f"*/{name}"))
        ]
        assert having, f"services/*/{name} is named but no service has it"
    for name in ("app.py", "api/consumer.py", "store/collections.py", "store/documents.py"):
        for service in ("intake", "booking", "notify", "reporting"):
            assert (root / "services" / service / name).exists(), f"{service}/{name}"
    kernel = named("shared/").split("the kernel:", 1)[1].split("(")[0]
    for stem in re.findall(r"[a-z_]+", kernel):
        there = (root / "shared" / f"{stem}.py").exists() or (root / "shared" / stem).is_dir()
        assert stem == "and" or there, f"shared/{stem}.py"
    for name in re.findall(r"([\w-]+)/:", named("tests/")):
        assert (root / "tests" / name).is_dir(), f"tests/{name}/ is named but missing"
