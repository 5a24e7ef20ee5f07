"""The CalDAV requests booking makes: discovery (the caldav library), then the few requests
of the sync and the calendar writes, made directly so that each step is one round trip and
ETags are under our control.

- ``ctag``: PROPFIND of ``getctag`` (the shortcut); ``sync_token`` after a full fetch;
- ``changes``: REPORT ``sync-collection`` (RFC 6578): changed and deleted hrefs since a token;
- ``fetch``: REPORT ``calendar-multiget``: the data of those hrefs, in one request;
- ``window``: REPORT ``calendar-query`` with a time range: the fallback, everything at once;
- ``put`` / ``delete`` with ``If-None-Match: *`` or ``If-Match: <etag>``.

(The caldav library's own sync falls back to one GET per object and has no ctag shortcut.)
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import unquote, urljoin, urlsplit

import aiohttp
from lxml import etree

from services.booking.calendars import ics
from services.booking.store.documents import Appointment

NS = {"d": "DAV:", "c": "urn:ietf:params:xml:ns:caldav", "cs": "http://calendarserver.org/ns/"}
TIMEOUT = aiohttp.ClientTimeout(total=30, connect=5)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)


class DavError(Exception):
    """The server could not be used; ``kind`` says how (for the confidant and the event)."""

    def __init__(
        self, kind: str, message: str, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        # unreachable | unauthorized | revoked (an OAuth grant withdrawn) | not_found |
        # invalid (a sync token or delta link refused) | malformed (an answer that is not
        # what the protocol promises) | throttled (asked to wait) | held | other
        self.kind = kind
        self.status = status
        self.retry_after = retry_after  # seconds, from a throttling answer's Retry-After


def retry_after(headers: Mapping[str, str]) -> float:
    """Seconds to wait from a ``Retry-After`` header (seconds, or an HTTP date); a minute
    when it is missing or unreadable."""
    value = headers.get("Retry-After", "")
    if value.strip().isdigit():
        return float(value)
    try:
        # (the provider's date is of the real world: it is read against the real time, not
        # the clock the tests move)
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return 60.0


Token = Callable[[bool], Awaitable[str]]  # an OAuth access token (True: a fresh one)


@dataclass(frozen=True)
class Creds:
    url: str
    username: str
    password: str
    token: Token | None = None  # OAuth (Google): a bearer token instead of the password


@dataclass
class Changes:
    token: str | None
    changed: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    # href -> (etag, iCalendar text) of the changed objects the server sent along
    objects: dict[str, tuple[str, str]] = field(default_factory=dict)


def _kind(status: int) -> str:
    return {401: "unauthorized", 403: "unauthorized", 404: "not_found", 429: "throttled"}.get(
        status, "other"
    )


def discover(creds: Creds) -> list[tuple[str, str]]:
    """(url, display name) of the principal's calendars. Blocking: run it in a thread."""
    from caldav.davclient import DAVClient
    from caldav.lib import error

    try:
        with DAVClient(
            url=creds.url, username=creds.username, password=creds.password, timeout=10
        ) as client:
            found = client.principal().calendars()
            return [(str(c.url), str(c.get_display_name() or c.url)) for c in found]
    except error.AuthorizationError:
        raise DavError("unauthorized", "the CalDAV server refused these credentials") from None
    except error.NotFoundError:
        raise DavError("not_found", "no CalDAV principal at this URL") from None
    except (error.DAVError, OSError, ValueError) as exc:
        raise DavError(
            "unreachable", f"cannot use this CalDAV URL ({type(exc).__name__})"
        ) from None
    except Exception as exc:  # requests' and niquests' connection errors, malformed URLs
        raise DavError(
            "unreachable", f"cannot reach the CalDAV server ({type(exc).__name__})"
        ) from None


class Dav:
    """One confidant's CalDAV server, over one aiohttp session."""

    def __init__(self, session: aiohttp.ClientSession, creds: Creds) -> None:
        self.session = session
        self.creds = creds
        self.auth = {"Authorization": aiohttp.encode_basic_auth(creds.username, creds.password)}
        # Basic is sent at once (one round trip); a server that asks for Digest gets it,
        # from aiohttp's own DigestAuthMiddleware, for the rest of this sync.
        self.digest: aiohttp.DigestAuthMiddleware | None = None
        self.waited_s = 0.0  # time spent waiting for the server (for the sync report)

    def absolute(self, href: str) -> str:
        return urljoin(self.creds.url, href)

    async def _request(
        self,
        method: str,
        url: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        ok: tuple[int, ...] = (200, 207),
        renewed: bool = False,
    ) -> tuple[int, bytes, dict[str, str]]:
        started = time.perf_counter()
        auth = self.auth
        if self.creds.token is not None:
            auth = {"Authorization": f"Bearer {await self.creds.token(renewed)}"}
        try:
            async with self.session.request(
                method,
                self.absolute(url),
                data=body,
                timeout=TIMEOUT,
                headers={
                    "Content-Type": "application/xml; charset=utf-8",
                    **({} if self.digest else auth),
                    **(headers or {}),
                },
                middlewares=(self.digest,) if self.digest else (),
            ) as response:
                data = await response.read()
                challenge = response.headers.get("WWW-Authenticate", "").lower()
                if response.status == 401 and self.creds.token is not None and not renewed:
                    # An access token may end before the time it was given for: one fresh try.
                    return await self._request(method, url, body, headers, ok, renewed=True)
                if response.status == 401 and self.digest is None and "digest" in challenge:
                    self.digest = aiohttp.DigestAuthMiddleware(
                        self.creds.username, self.creds.password
                    )
                    return await self._request(method, url, body, headers, ok)
                if response.status not in ok:
                    raise DavError(
                        _kind(response.status),
                        f"{method} answered {response.status}",
                        response.status,
                        retry_after(response.headers) if response.status == 429 else None,
                    )
                return response.status, data, dict(response.headers)
        except (TimeoutError, aiohttp.ClientError, OSError) as exc:
            raise DavError("unreachable", f"{method}: {type(exc).__name__}") from None
        finally:
            self.waited_s += time.perf_counter() - started

    async def _multistatus(self, method: str, url: str, body: bytes, depth: str) -> etree._Element:
        """A PROPFIND or REPORT whose answer must be a 207 Multi-Status in XML. Anything
        else (a 200 log-in page behind a redirect, a captive portal, XML of another shape,
        a body cut short) is an error, never an empty calendar."""
        _, data, headers = await self._request(method, url, body, {"Depth": depth}, ok=(207,))
        kind = headers.get("Content-Type", "").split(";")[0].strip().lower()
        if kind and not kind.endswith("xml"):
            raise DavError("malformed", f"{method} answered {kind}, not XML")
        try:
            root = etree.fromstring(data, _PARSER)
        except etree.XMLSyntaxError:
            raise DavError("malformed", f"{method}: the answer is not whole XML") from None
        if root.tag != "{DAV:}multistatus":
            raise DavError("malformed", f"{method}: the answer is not a multistatus")
        for response in root.findall("d:response", NS):
            if not response.findtext("d:href", namespaces=NS):
                raise DavError("malformed", f"{method}: a response without an href")
        return root

    @staticmethod
    def _prop(root: etree._Element, path: str) -> str | None:
        """A property of a Depth: 0 PROPFIND; None if the server says it has none."""
        if not root.findall("d:response", NS):
            raise DavError("malformed", "PROPFIND: a multistatus without a response")
        found = root.findtext(path, namespaces=NS)
        return str(found) if found else None

    async def ctag(self, calendar: str) -> str | None:
        """The calendar's ctag: the cheap "did anything change?" (Radicale answers it in a
        third of the time it needs for a sync token)."""
        body = (
            b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:" '
            b'xmlns:cs="http://calendarserver.org/ns/"><d:prop><cs:getctag/>'
            b"</d:prop></d:propfind>"
        )
        return self._prop(await self._multistatus("PROPFIND", calendar, body, "0"), ".//cs:getctag")

    async def sync_token(self, calendar: str) -> str | None:
        body = (
            b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:sync-token/>'
            b"</d:prop></d:propfind>"
        )
        return self._prop(
            await self._multistatus("PROPFIND", calendar, body, "0"), ".//d:sync-token"
        )

    async def changes(self, calendar: str, token: str) -> Changes:
        """What changed since ``token``, with the changed objects' data where the server
        sends it along (the caller fetches the rest); DavError(kind="invalid") if the token
        is not accepted (then a full fetch is due)."""
        body = (
            '<?xml version="1.0"?><d:sync-collection xmlns:d="DAV:" '
            'xmlns:c="urn:ietf:params:xml:ns:caldav">'
            f"<d:sync-token>{_escape(token)}</d:sync-token><d:sync-level>1</d:sync-level>"
            "<d:prop><d:getetag/><c:calendar-data/></d:prop></d:sync-collection>"
        ).encode()
        try:
            # RFC 6578 3.2: Depth 0 (the body's sync-level says how deep); 400 otherwise.
            root = await self._multistatus("REPORT", calendar, body, "0")
        except DavError as exc:
            if exc.status in (403, 409, 412, 501):
                raise DavError("invalid", "the sync token was not accepted", exc.status) from None
            raise
        token = root.findtext("d:sync-token", namespaces=NS)
        if not token:  # RFC 6578 6.4: the answer carries the new token; without it, distrust
            raise DavError("malformed", "sync-collection: no sync-token in the answer")
        found = Changes(token=token, objects=self._objects(root))
        for response in root.findall("d:response", NS):
            href = response.findtext("d:href", namespaces=NS) or ""
            if href.rstrip("/") == urlsplit(self.absolute(calendar)).path.rstrip("/"):
                continue
            (found.deleted if _gone(response) else found.changed).append(href)
        return found

    async def fetch(
        self, calendar: str, hrefs: list[str]
    ) -> tuple[dict[str, tuple[str, str]], list[str]]:
        """href -> (etag, iCalendar text) of the given objects, in one request, and the
        hrefs the server positively says are gone (404). An object it neither sends nor
        says is gone is an error: it is not known to be free."""
        if not hrefs:
            return {}, []
        refs = "".join(f"<d:href>{_escape(h)}</d:href>" for h in hrefs)
        body = (
            '<?xml version="1.0"?><c:calendar-multiget xmlns:d="DAV:" '
            'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/>'
            f"<c:calendar-data/></d:prop>{refs}</c:calendar-multiget>"
        ).encode()
        root = await self._multistatus("REPORT", calendar, body, "1")
        objects = self._objects(root)
        gone = [
            str(r.findtext("d:href", namespaces=NS))
            for r in root.findall("d:response", NS)
            if _gone(r)
        ]
        answered = {name_of(h) for h in [*objects, *gone]}
        if any(name_of(h) not in answered for h in hrefs):
            raise DavError("malformed", "calendar-multiget: objects neither sent nor gone")
        return objects, gone

    async def window(
        self, calendar: str, start: datetime, end: datetime
    ) -> dict[str, tuple[str, str]]:
        """Every event that touches [start, end): the full fetch."""
        fmt = "%Y%m%dT%H%M%SZ"
        body = (
            '<?xml version="1.0"?><c:calendar-query xmlns:d="DAV:" '
            'xmlns:c="urn:ietf:params:xml:ns:caldav"><d:prop><d:getetag/>'
            '<c:calendar-data/></d:prop><c:filter><c:comp-filter name="VCALENDAR">'
            '<c:comp-filter name="VEVENT">'
            f'<c:time-range start="{start.strftime(fmt)}" end="{end.strftime(fmt)}"/>'
            "</c:comp-filter></c:comp-filter></c:filter></c:calendar-query>"
        ).encode()
        root = await self._multistatus("REPORT", calendar, body, "1")
        objects = self._objects(root)
        # Listed without their data (some servers leave it out): asked for by name.
        listed = [
            str(r.findtext("d:href", namespaces=NS))
            for r in root.findall("d:response", NS)
            if not _gone(r) and r.findtext("d:href", namespaces=NS) not in objects
        ]
        own = urlsplit(self.absolute(calendar)).path.rstrip("/")
        listed = [h for h in listed if urlsplit(self.absolute(h)).path.rstrip("/") != own]
        if listed:
            fetched, _ = await self.fetch(calendar, listed)
            objects.update(fetched)
        return objects

    async def delta(self, calendar: str, token: str) -> Changes:
        """What changed since ``token``, every changed object with its data."""
        changes = await self.changes(calendar, token)
        # Asked for in the delta itself; a server that does not send it is asked again.
        missing = [h for h in changes.changed if h not in changes.objects]
        if missing:
            fetched, gone = await self.fetch(calendar, missing)
            changes.objects.update(fetched)
            changes.deleted.extend(gone)
        return changes

    async def listing(
        self, calendar: str, start: datetime, end: datetime
    ) -> tuple[str | None, dict[str, tuple[str, str]]]:
        """The full fetch: a sync token first (changes after it show up next time), then
        every object in the window."""
        token = await self.sync_token(calendar)
        return token, await self.window(calendar, start, end)

    async def write(
        self, calendar: str, appointment: Appointment, href: str | None, etag: str | None
    ) -> tuple[str, str | None]:
        """Put the appointment's event (created under its UID, or replaced at ``href``);
        returns where it is and its ETag."""
        href = href or calendar.rstrip("/") + f"/{ics.uid(appointment['_id'])}.ics"
        body = ics.calendar_of(appointment)
        try:
            new_etag = await self.put(href, body, etag)
        except DavError as exc:
            if exc.status != 412:
                raise
            # Changed or created meanwhile: ours is the appointment's truth, write over it.
            new_etag = await self.put(href, body, await self.etag_of(href))
        return href, new_etag or await self.etag_of(href)

    async def remove(self, href: str, etag: str | None) -> None:
        try:
            await self.delete(href, etag)
        except DavError as exc:
            if exc.status != 412:
                raise
            await self.delete(href, await self.etag_of(href))

    @staticmethod
    def _objects(root: etree._Element) -> dict[str, tuple[str, str]]:
        found = {}
        for response in root.findall("d:response", NS):
            href = response.findtext("d:href", namespaces=NS)
            text = response.findtext(".//c:calendar-data", namespaces=NS)
            if href and text:
                found[href] = (response.findtext(".//d:getetag", namespaces=NS) or "", text)
        return found

    async def put(self, href: str, ics: bytes, etag: str | None) -> str | None:
        """Create (``etag`` None: only if absent) or replace (only if unchanged). Returns
        the new ETag; DavError with status 412 when the precondition failed."""
        condition = {"If-Match": etag} if etag else {"If-None-Match": "*"}
        status, _, headers = await self._request(
            "PUT",
            href,
            ics,
            {**condition, "Content-Type": "text/calendar; charset=utf-8"},
            ok=(200, 201, 204),
        )
        _not_a_page("PUT", status, headers)
        return headers.get("ETag") or headers.get("Etag")

    async def delete(self, href: str, etag: str | None) -> None:
        try:
            status, _, headers = await self._request(
                "DELETE", href, None, {"If-Match": etag} if etag else {}, ok=(200, 204)
            )
            _not_a_page("DELETE", status, headers)
        except DavError as exc:
            if exc.status != 404:  # gone already is what we wanted
                raise

    async def etag_of(self, href: str) -> str | None:
        body = (
            b'<?xml version="1.0"?><d:propfind xmlns:d="DAV:"><d:prop><d:getetag/>'
            b"</d:prop></d:propfind>"
        )
        try:
            root = await self._multistatus("PROPFIND", href, body, "0")
        except DavError as exc:
            if exc.status == 404:
                return None
            raise
        return self._prop(root, ".//d:getetag")


def _not_a_page(method: str, status: int, headers: dict[str, str]) -> None:
    """A 200 with a web page is a portal or a log-in form that took the request, not a
    calendar server that did what was asked."""
    if status == 200 and "html" in headers.get("Content-Type", "").lower():
        raise DavError("malformed", f"{method} answered with a web page")


def _gone(response: etree._Element) -> bool:
    """The server says, for this href, that there is nothing (a 404 status)."""
    status = response.findtext("d:status", namespaces=NS) or ""
    return " 404 " in f"{status} "


def name_of(href: str) -> str:
    """An object's file name: servers answer with paths (or names), we write full URLs, and
    some write "@" as "%40"."""
    return unquote(urlsplit(href).path).rstrip("/").rsplit("/", 1)[-1]


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
