"""Texts people write in more than one language: one text, or one per language."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

Language = Literal["nl", "en", "de", "fr", "tr", "ar", "pl"]
BioText = Annotated[str, Field(max_length=600)]
# A confidant's short description for employees: {"nl": …, "en": …}, or one text for all.
Bio = BioText | dict[Language, BioText]


def in_language(text: str | dict[str, str] | None, locale: str) -> str | None:
    """The text in ``locale``; else in Dutch, else in any language it has."""
    if text is None or isinstance(text, str):
        return text
    return text.get(locale) or text.get("nl") or next(iter(text.values()), None)
