"""Peppol BIS Billing 3.0 validation by the norm's own Schematron rules, run by Saxon-HE
(``saxonche``): the rules compiled once per process with SchXslt, then applied to each
document; what failed is read from the SVRL report (see README.md)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree
from saxonche import PySaxonProcessor

HERE = Path(__file__).parent
RULES = (HERE / "rules/CEN-EN16931-UBL.sch", HERE / "rules/PEPPOL-EN16931-UBL.sch")
SVRL = "{http://purl.oclc.org/dsdl/svrl}"


@dataclass(frozen=True)
class Failure:
    rule: str  # the assertion's id: BR-CO-15, PEPPOL-EN16931-R008, ...
    flag: str  # fatal or warning
    text: str

    def __str__(self) -> str:
        return f"{self.rule} ({self.flag}): {self.text}"


@cache
def _processor() -> tuple[Any, list[Any]]:
    """Saxon and the rules compiled to stylesheets (kept for the process: compiling both
    takes about a second)."""
    saxon = PySaxonProcessor(license=False)
    xslt = saxon.new_xslt30_processor()
    compiler = xslt.compile_stylesheet(stylesheet_file=str(HERE / "schxslt/pipeline-for-svrl.xsl"))
    rules = [
        xslt.compile_stylesheet(stylesheet_text=compiler.transform_to_string(source_file=str(sch)))
        for sch in RULES
    ]
    return saxon, rules


def failures(document: bytes) -> list[Failure]:
    """Every assertion of both rule sets that ``document`` fails, fatal or warning."""
    saxon, rules = _processor()
    found: list[Failure] = []
    for stylesheet in rules:
        node = saxon.parse_xml(xml_text=document.decode())
        report = etree.fromstring(stylesheet.transform_to_string(xdm_node=node).encode())
        for failed in report.iter(f"{SVRL}failed-assert"):
            text = " ".join("".join(failed.itertext()).split())
            found.append(Failure(failed.get("id", "?"), failed.get("flag", "fatal"), text))
    return found


def fatal(document: bytes) -> list[Failure]:
    """What stops an access point from accepting ``document``."""
    return [f for f in failures(document) if f.flag == "fatal"]
