"""The words people read, in their language: one gettext catalogue (Babel) for every page,
report, invoice and mail of the suite.

English is the source language: a text is written once, in English, marked with ``N_``
where it is declared, and translated where it is shown (``translate``, or a ``Texts``
read by locale). The translations are ``shared/locale/<lang>/LC_MESSAGES/vertrouwd.po``,
kept up to date from the source with ``make messages`` (``pybabel extract`` and ``update``);
a test fails on a text that a language lacks, or whose placeholders differ from its source.
The ``.po`` files are read as they are at start (no compiled ``.mo`` to forget).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping
from gettext import NullTranslations
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

from shared.text import LOCALES, Locale

DOMAIN = "vertrouwd"
CATALOGUES = Path(__file__).parent / "locale"
SOURCE: Locale = "en"


def N_(text: str) -> str:
    """Marks ``text`` for the catalogue (``pybabel extract -k N_``); it is translated where
    it is shown, in the reader's language."""
    return text


def po_file(locale: Locale) -> Path:
    return CATALOGUES / locale / "LC_MESSAGES" / f"{DOMAIN}.po"


@functools.cache
def translations(locale: Locale) -> NullTranslations:
    if locale == SOURCE:
        return NullTranslations()
    with po_file(locale).open("rb") as po:
        catalogue = read_po(po, locale=locale, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def translate(text: str, locale: Locale) -> str:
    return translations(locale).gettext(text)


class Texts(Mapping[Locale, dict[str, str]]):
    """Texts by key, declared once in English: ``TEXT["nl"]`` is every text in Dutch (what a
    page hands its template and script), ``TEXT.text("title", "nl")`` one of them."""

    def __init__(self, texts: Mapping[str, str]) -> None:
        self.source = dict(texts)
        self._by_locale: dict[Locale, dict[str, str]] = {}

    def __getitem__(self, locale: Locale) -> dict[str, str]:
        # Translated once per language (the catalogue does not change while the process
        # runs); a copy, so a caller that changes it changes nobody else's.
        if locale not in self._by_locale:
            self._by_locale[locale] = {k: translate(t, locale) for k, t in self.source.items()}
        return dict(self._by_locale[locale])

    def __iter__(self) -> Iterator[Locale]:
        return iter(LOCALES)

    def __len__(self) -> int:
        return len(LOCALES)

    def text(self, key: str, locale: Locale) -> str:
        return translate(self.source[key], locale)
