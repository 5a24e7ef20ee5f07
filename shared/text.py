"""Texts people write in more than one language: one text, or one per language."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Literal, cast

from pydantic import Field

Language = Literal["nl", "en", "de", "fr", "tr", "ar", "pl"]
# The languages the suite's own pages, mails and answers are written in.
Locale = Literal["nl", "en"]
LOCALES: tuple[Locale, ...] = ("nl", "en")
BioText = Annotated[str, Field(max_length=600)]
# A confidant's short description for employees: {"nl": …, "en": …}, or one text for all.
Bio = BioText | dict[Language, BioText]


def in_language(text: str | Mapping[Language, str] | None, locale: str) -> str | None:
    """The text in ``locale``; else in Dutch, else in any language it has."""
    if text is None or isinstance(text, str):
        return text
    # ``locale`` is any language asked for; a text without it falls back below.
    return text.get(cast(Language, locale)) or text.get("nl") or next(iter(text.values()), None)


def locale_of(*candidates: object) -> Locale:
    """The one language negotiation of the suite, for API answers, pages and mails alike:
    the first of ``candidates`` that is a language the suite writes (what was asked for,
    ``?lang=``, then the case's or organisation's own), else Dutch."""
    for candidate in candidates:
        if candidate == "en":
            return "en"
        if candidate == "nl":
            return "nl"
    return "nl"
