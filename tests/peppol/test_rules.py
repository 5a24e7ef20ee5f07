"""The validator is the norm's: it accepts Peppol's own valid examples and finds what breaks
them."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.peppol.validate import failures, fatal

EXAMPLES = sorted((Path(__file__).parent / "examples").glob("*.xml"))


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_peppols_own_examples_pass(example: Path) -> None:
    assert fatal(example.read_bytes()) == []


def test_what_breaks_an_example_is_found_by_its_rule() -> None:
    valid = (Path(__file__).parent / "examples/base-example.xml").read_text()
    start = valid.index("<cac:AccountingCustomerParty>")
    country = valid.index("<cbc:IdentificationCode>", start)
    end = valid.index("</cac:Country>", country)
    no_country = valid[:country] + valid[end:]
    found = {f.rule for f in fatal(no_country.encode())}
    assert {"BR-11", "PEPPOL-EN16931-R008"} <= found  # the buyer's country, in both rule sets
    wrong_total = valid.replace(
        '<cbc:PayableAmount currencyID="EUR">', '<cbc:PayableAmount currencyID="EUR">9', 1
    )
    assert "BR-CO-16" in {f.rule for f in fatal(wrong_total.encode())}
    assert all(f.flag in ("fatal", "warning") for f in failures(no_country.encode()))
