"""The docs say what the code does: every setting the services read is in the README."""

from __future__ import annotations

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
