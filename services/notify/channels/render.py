"""Mail texts from the templates in ``templates/``, in the reader's language.

A template is written once, in English, its texts in ``_("...")`` (jinja2's i18n, new
style: ``_("Dear %(name)s,", name=name)``), and translated from the suite's one catalogue
(``shared.messages``), the same as the pages' texts. A template has two blocks, ``subject``
and ``text``. The HTML part is made from the text (paragraphs, links), escaped, inside one
layout: a template cannot forget to escape, and the two parts never say different things.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import NotRequired, TypedDict
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime, format_time
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from shared.messages import translations
from shared.text import LOCALES, Locale

_URL = re.compile(r"https?://[^\s<>\"]+")


class MailContext(TypedDict):
    """What a template is told. Every template gets every key (StrictUndefined fails on a
    missing one); a mail about an appointment gets the appointment's keys as well."""

    name: str | None
    case_url: str  # the case page, where the employee comes back with their code
    reference: str  # how people name the case (VP-2026-…) or the start of an id
    link: str  # what the mail's button opens
    deadline: str | None
    evaluate_on: str | None
    org_name: str | None
    kind: str | None
    error: str | None
    period_from: str | None
    period_to: str | None
    due: str | None
    when: NotRequired[str]
    end_time: NotRequired[str]
    mode: NotRequired[str]
    video_url: NotRequired[str | None]
    address: NotRequired[str | None]
    lead: NotRequired[str]


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def when(moment: datetime, locale: Locale, zone: ZoneInfo) -> str:
    """ "maandag 30 november 2026 om 10:00" / "Monday 30 November 2026 at 10:00"."""
    local = moment.astimezone(zone)
    word = "om" if locale == "nl" else "at"
    day = format_date(local, "EEEE d MMMM y", locale=locale)
    return f"{day} {word} {format_time(local, 'HH:mm', locale=locale)}"


def clock(moment: datetime, locale: Locale, zone: ZoneInfo) -> str:
    return format_time(moment.astimezone(zone), "HH:mm", locale=locale)


def day(moment: datetime, locale: Locale, zone: ZoneInfo) -> str:
    return format_datetime(moment.astimezone(zone), "d MMMM y", locale=locale)


def _paragraphs(text: str) -> list[Markup]:
    out = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = []
        for line in block.splitlines():
            pieces, last = [], 0
            for found in _URL.finditer(line):
                pieces.append(escape(line[last : found.start()]))
                url = escape(found.group())
                pieces.append(Markup(f'<a href="{url}">{url}</a>'))  # noqa: S704 (url is escaped)
                last = found.end()
            pieces.append(escape(line[last:]))
            lines.append(Markup("").join(pieces))
        out.append(Markup("<br>\n").join(lines))
    return out


class Templates:
    def __init__(self, sender_name: str, footers: dict[Locale, str]) -> None:
        self.sender_name = sender_name
        self.footers = footers
        self.envs = {locale: _environment(locale) for locale in LOCALES}

    def names(self) -> list[str]:
        return sorted(
            n.removesuffix(".j2")
            for n in self.envs["nl"].list_templates(extensions=["j2"])
            if not n.startswith("_") and not n.endswith(".html.j2")
        )

    def render(self, name: str, locale: Locale, context: MailContext) -> Rendered:
        env = self.envs[locale]
        template = env.get_template(f"{name}.j2")
        ctx = template.new_context({"locale": locale, **context})
        subject = " ".join("".join(template.blocks["subject"](ctx)).split())
        body = "".join(template.blocks["text"](ctx)).strip()
        footer = self.footers[locale]
        html = env.get_template("layout.html.j2").render(
            locale=locale,
            subject=subject,
            paragraphs=_paragraphs(body),
            sender_name=self.sender_name,
            footer=footer,
        )
        text = f"{body}\n\n-- \n{self.sender_name}\n{footer}\n"
        return Rendered(subject, text, html)


def _environment(locale: Locale) -> Environment:
    """The templates, speaking ``locale``."""
    env = Environment(
        loader=PackageLoader("services.notify", "templates"),
        undefined=StrictUndefined,  # a missing value fails loudly, never as blank text
        autoescape=select_autoescape(enabled_extensions=("html.j2",)),
        trim_blocks=True,
        keep_trailing_newline=False,
        extensions=["jinja2.ext.i18n"],
    )
    env.install_gettext_translations(translations(locale), newstyle=True)  # type: ignore[attr-defined]
    return env
