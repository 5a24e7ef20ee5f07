"""The catalogue holds every text the code shows, in every language the suite speaks."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from shared.messages import SOURCE, Texts, po_file, translate
from shared.text import LOCALES, Locale

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"{(\w*)}|%\((\w+)\)s")


def texts_in_the_code() -> set[str]:
    """What make messages extracts: N_("...") in the code, _("...") in the mail templates."""
    found: set[str] = set()
    methods = [("**.py", "python"), ("**/templates/**.j2", "jinja2")]
    options = {"**/templates/**.j2": {"extensions": "jinja2.ext.i18n"}}
    for folder in ("services", "shared"):
        for _, _, message, _, _ in extract_from_dir(
            ROOT / folder, methods, keywords={"N_": None, "_": None}, options_map=options
        ):
            assert isinstance(message, str)
            found.add(message)
    return found


CODE = texts_in_the_code()


def test_the_code_has_texts_to_translate() -> None:
    # (the checks below could pass by finding nothing)
    assert len(CODE) > 300
    assert "Bullying" in CODE and "Dear %(name)s," in CODE  # the code's and the mails'


@pytest.mark.parametrize("locale", [lang for lang in LOCALES if lang != SOURCE])
def test_every_text_is_translated(locale: Locale) -> None:
    with po_file(locale).open("rb") as po:
        catalogue = read_po(po, locale=locale)
    translated = {m.id: m for m in catalogue if m.id and m.string and not m.fuzzy}
    missing = sorted(CODE - translated.keys())
    assert missing == [], f"not in the {locale} catalogue (run make messages): {missing[:5]}"
    for text in CODE:
        said = translated[text].string
        assert isinstance(said, str)
        assert set(PLACEHOLDER.findall(said)) == set(PLACEHOLDER.findall(text)), text


def test_texts_are_read_in_the_readers_language() -> None:
    labels = Texts({"pesten": "Bullying", "anders": "Other"})
    assert labels["nl"] == {"pesten": "Pesten", "anders": "Anders"}
    assert labels["en"] == {"pesten": "Bullying", "anders": "Other"}
    assert translate("Your report {reference} has been received", "nl").format(
        reference="VP-1"
    ) == ("Uw melding VP-1 is ontvangen")
