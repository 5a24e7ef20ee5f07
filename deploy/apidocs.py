"""Write the access table of ``docs/api.md`` from the route tables the services enforce.

python -m deploy.apidocs          # rewrite the table in docs/api.md
python -m deploy.apidocs --check  # exit 1 if the docs differ (the test suite checks too)
"""

from __future__ import annotations

import sys
from pathlib import Path

from shared.http import BASE_ENDPOINTS, access_table
from shared.service import WHOAMI

DOC = Path(__file__).resolve().parents[1] / "docs" / "api.md"
BEGIN = "<!-- access table: made by python -m deploy.apidocs; do not edit by hand -->"
END = "<!-- end of access table -->"


def generated() -> str:
    from services.booking.app import SPEC as booking
    from services.intake.app import SPEC as intake
    from services.notify.app import SPEC as notify
    from services.reporting.app import SPEC as reporting

    parts = [access_table("every service", [*BASE_ENDPOINTS, WHOAMI])]
    parts += [access_table(s.name, s.endpoints) for s in (intake, booking, notify, reporting)]
    return "\n".join(parts)


def rewritten(text: str) -> str:
    head, found, rest = text.partition(BEGIN)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        raise SystemExit(f"{DOC} has no access table markers")
    return f"{head}{BEGIN}\n\n{generated()}\n{END}{tail}"


def main() -> None:
    text = DOC.read_text()
    new = rewritten(text)
    if "--check" in sys.argv:
        raise SystemExit(0 if new == text else 1)
    DOC.write_text(new)


if __name__ == "__main__":
    main()
