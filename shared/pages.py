"""Pages for people, one way for every service: jinja2 templates beside the service's code,
and static files under ``/static/<service>/`` (the headers every page is sent with are the
HTTP kernel's: ``shared.http.security_headers``).

A page calls only its own service's API, at ``site.api`` (``/`` on the service's own address,
``/api/<service>/`` behind the front door); what one page hands to another service's page (a
case token) goes in the URL fragment, which no browser sends to a server or in a referrer.
Each service's files have a path of their own, so the front door routes them by path alone.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from shared.messages import Texts
from shared.service import SETTINGS
from shared.text import Locale, locale_of

SHARED_TEMPLATES = Path(__file__).parent / "templates"  # parts every page includes


def templates(folder: Path) -> Environment:
    """The service's templates, and the shared parts (``{% include "language.html.j2" %}``)."""
    loader = FileSystemLoader([folder, SHARED_TEMPLATES])
    return Environment(loader=loader, autoescape=select_autoescape(["j2"]))


def page_locale(request: web.Request, *fallbacks: object) -> Locale:
    """The page's language: ``?lang=`` (the switch on every page), else ``fallbacks``."""
    return locale_of(request.query.get("lang"), *fallbacks)


def render(
    request: web.Request, env: Environment, name: str, status: int = 200, **context: Any
) -> web.Response:
    """A page from the service's template ``name``, told where its files and API are.

    With a front door (``SUITE_URL``), a page asked for on the service's own address is sent
    there: its script calls the API under ``/api/<service>/``, which only the front door
    answers, so the page would load and then fail (a log-in refused). A request that came
    through a proxy (``X-Forwarded-For``) is never sent on, so no proxy can loop."""
    suite = request.app[SETTINGS].suite_url
    if suite and "X-Forwarded-For" not in request.headers and request.host != _host(suite):
        raise web.HTTPTemporaryRedirect(suite.rstrip("/") + str(request.rel_url))
    # The headers every page needs (CSP, no-store, no-referrer, nosniff, no framing) are
    # set for every HTML answer by shared.http.security_headers.
    text = env.get_template(name).render(site=site(request), **context)
    return web.Response(text=text, status=status, content_type="text/html")


def _host(url: str) -> str:
    return urlsplit(url).netloc


COMMON = Path(__file__).parent / "static"  # the style sheet and scripts every page shares


def add_static(app: web.Application, service: str, folder: Path) -> None:
    """The service's own files under ``/static/<service>/``, the shared ones under
    ``/static/common/``."""
    app.router.add_static("/static/common/", COMMON, append_version=False)
    app.router.add_static(f"/static/{service}/", folder, append_version=False)


def site(request: web.Request) -> dict[str, str]:
    """What every page's template needs to find its files and its API (``site.static``,
    ``site.api``, in a ``<meta name="vertrouwd-api">`` that ``api.js`` reads)."""
    settings = request.app[SETTINGS]
    return {"static": f"/static/{settings.service}/", "api": settings.public_api()}


class Pages:
    """A service's pages: its templates and files (``templates/``, ``static/`` in the
    service's folder), each page shown in the reader's language with its texts (``t``)."""

    def __init__(self, service: str, folder: Path) -> None:
        self.service = service
        self.folder = folder
        self.env = templates(folder / "templates")

    def show(
        self,
        request: web.Request,
        name: str,
        texts: Texts | None = None,
        *,
        status: int = 200,
        locale: Locale | None = None,
        worded: Callable[[Locale], dict[str, Any]] | None = None,
        **context: Any,
    ) -> web.Response:
        """The page ``name``, in ``locale`` (or the one asked for with ``?lang=``); what
        ``worded`` gives for that language is in its context too (choices' labels, say)."""
        locale = locale or page_locale(request)
        shown = {"t": texts[locale]} if texts is not None else {}
        if worded is not None:
            shown.update(worded(locale))
        return render(request, self.env, name, status, locale=locale, **shown, **context)

    def add_static(self, app: web.Application) -> None:
        add_static(app, self.service, self.folder / "static")
