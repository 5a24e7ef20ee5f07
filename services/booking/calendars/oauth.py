"""OAuth 2.0 for the calendar providers that want it (Google, Microsoft 365).

The confidant connects from the agenda page with the authorisation-code flow and PKCE
(RFC 7636): booking makes a single-use ``state`` (stored, with the code verifier sealed, for
ten minutes), the browser goes to the provider and comes back to the agenda page with a
code, and the page hands code and state to booking, which trades them for tokens. The
refresh token is sealed like a calendar password; access tokens are made from it when the
one in hand ends (or a server refuses it), by whichever instance needs one first.

A refresh the provider refuses with ``invalid_grant`` means the confidant (or their
administrator) withdrew the permission: the sync fails with ``revoked`` and, as with any
failing calendar, the slots close once the last success is too old.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import quote, urlencode

import aiohttp
import jwt

from services.booking.calendars.dav import TIMEOUT, Creds, Dav, DavError, retry_after
from services.booking.calendars.graph import Graph
from services.booking.settings import BookingSettings
from services.booking.state import Booking
from services.booking.store.collections import CONFIDANTS
from services.booking.store.documents import CalendarLink, Confidant, OAuthProvider, oauth_states
from shared.db import Query

STATE_LIFETIME = timedelta(minutes=10)
EARLY = timedelta(seconds=60)  # an access token this close to its end is renewed first


@dataclass(frozen=True)
class Provider:
    name: OAuthProvider
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    scope: str
    extra: tuple[tuple[str, str], ...] = ()  # more authorisation parameters


# What each provider is asked for, beside its registration's settings.
ASKED: dict[OAuthProvider, tuple[str, tuple[tuple[str, str], ...]]] = {
    # CalDAV needs the calendar scope; openid and email name the account. A refresh token
    # is only given with offline access, and again on consent.
    "google": (
        "openid email https://www.googleapis.com/auth/calendar",
        (("access_type", "offline"), ("prompt", "consent")),
    ),
    "microsoft": ("offline_access User.Read Calendars.ReadWrite", (("response_mode", "query"),)),
}


def providers(settings: BookingSettings) -> dict[str, Provider]:
    """The OAuth providers this installation has a client registration for (their
    ``BOOKING_<NAME>_CLIENT_ID`` and the rest set)."""
    found: dict[str, Provider] = {}
    for name, (scope, extra) in ASKED.items():
        if getattr(settings, f"{name}_client_id"):
            found[name] = Provider(
                name,
                getattr(settings, f"{name}_client_id"),
                getattr(settings, f"{name}_client_secret"),
                getattr(settings, f"{name}_authorize_url"),
                getattr(settings, f"{name}_token_url"),
                scope,
                extra,
            )
    return found


def challenge(verifier: str) -> str:
    """The S256 code challenge of a verifier (RFC 7636 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class OAuthError(Exception):
    """The provider refused the code or the grant; ``field`` names what to correct."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


async def start(
    booking: Booking, provider: Provider, confidant_id: str, redirect_uri: str, now: datetime
) -> str:
    """The provider's authorisation URL for this confidant, with a fresh state."""
    state = secrets.token_urlsafe(32)
    verifier = secrets.token_urlsafe(48)  # 64 characters (RFC 7636: 43 to 128)
    await oauth_states(booking.db).insert_one(
        {
            "_id": state,
            "confidant_id": confidant_id,
            "provider": provider.name,
            "verifier": booking.cipher.seal(verifier, doc_id=state, field="verifier"),
            "redirect_uri": redirect_uri,  # the token request must name the same one
            "expires": now + STATE_LIFETIME,
        }
    )
    query = {
        "response_type": "code",
        "client_id": provider.client_id,
        "redirect_uri": redirect_uri,
        "scope": provider.scope,
        "state": state,
        "code_challenge": challenge(verifier),
        "code_challenge_method": "S256",
        **dict(provider.extra),
    }
    separator = "&" if "?" in provider.authorize_url else "?"
    return f"{provider.authorize_url}{separator}{urlencode(query)}"


@dataclass(frozen=True)
class Claimed:
    provider: OAuthProvider
    verifier: str
    redirect_uri: str


async def claim(booking: Booking, state: str, confidant_id: str, now: datetime) -> Claimed:
    """The provider, code verifier and redirect URI of a state, which is used up by this: a
    state comes back once, for the confidant it was made for, within ten minutes."""
    await oauth_states(booking.db).delete_many({"expires": {"$lt": now - STATE_LIFETIME}})
    found = await oauth_states(booking.db).find_one({"_id": state})
    if found is None or found["confidant_id"] != confidant_id:
        raise OAuthError("state", "unknown or already used: start connecting again")
    # Deleting is the claim: of two requests with one state, one deletes it.
    gone = await oauth_states(booking.db).delete_one({"_id": state})
    if gone.deleted_count != 1:
        raise OAuthError("state", "unknown or already used: start connecting again")
    if found["expires"].replace(tzinfo=UTC) < now:
        raise OAuthError("state", "more than ten minutes old: start connecting again")
    verifier = booking.cipher.open(found["verifier"], doc_id=state, field="verifier")
    return Claimed(found["provider"], verifier, found["redirect_uri"])


@dataclass(frozen=True)
class Tokens:
    access: str
    expires_in: float
    refresh: str | None
    id_token: str | None


async def _token_request(
    session: aiohttp.ClientSession, provider: Provider, form: dict[str, str]
) -> Tokens:
    form = {"client_id": provider.client_id, "client_secret": provider.client_secret, **form}
    try:
        async with session.post(provider.token_url, data=form, timeout=TIMEOUT) as response:
            status = response.status
            try:
                body: Any = await response.json(content_type=None)
            except ValueError:
                body = None
            if status == 429:
                raise DavError(
                    "throttled", "the provider asks to wait", 429, retry_after(response.headers)
                )
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        raise DavError("unreachable", f"token endpoint: {type(exc).__name__}") from None
    if not isinstance(body, dict):
        raise DavError("malformed", f"token endpoint answered {status} without JSON")
    if status in (400, 401) and body.get("error") == "invalid_grant":
        raise OAuthError("code", str(body.get("error_description") or "invalid_grant"))
    if status != 200:
        raise DavError("other", f"token endpoint answered {status}: {body.get('error')}", status)
    access, kind = body.get("access_token"), str(body.get("token_type", "")).lower()
    if not isinstance(access, str) or not access or kind != "bearer":
        raise DavError("malformed", "token endpoint: no bearer access token in the answer")
    expires_in = body.get("expires_in", 3600)
    return Tokens(
        access,
        float(expires_in) if isinstance(expires_in, int | float | str) else 3600.0,
        body.get("refresh_token") if isinstance(body.get("refresh_token"), str) else None,
        body.get("id_token") if isinstance(body.get("id_token"), str) else None,
    )


async def exchange(
    session: aiohttp.ClientSession,
    provider: Provider,
    code: str,
    verifier: str,
    redirect_uri: str,
) -> Tokens:
    tokens = await _token_request(
        session,
        provider,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": verifier,
        },
    )
    if tokens.refresh is None:
        raise OAuthError("code", "the provider gave no refresh token (offline access)")
    return tokens


def email_of(provider: Provider, id_token: str | None) -> str:
    """The account's address from the ID token. It came straight from the token endpoint
    over TLS, which OpenID Connect Core 3.1.3.7 accepts in place of its signature; the
    audience is still checked."""
    if not id_token:
        raise OAuthError("code", "the provider gave no ID token (scope openid email)")
    try:
        claims = jwt.decode(
            id_token,
            options={"verify_signature": False, "verify_aud": True},
            audience=provider.client_id,
        )
    except jwt.PyJWTError as exc:
        raise OAuthError("code", f"unreadable ID token ({type(exc).__name__})") from None
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise OAuthError("code", "the ID token names no e-mail address")
    return email


@dataclass(frozen=True)
class Account:
    """A calendar account connected with OAuth: whose it is, where its calendars are (the
    one to write to first), and the grant."""

    provider: OAuthProvider
    url: str  # Google's CalDAV root or Microsoft Graph
    username: str
    calendars: list[tuple[str, str]]  # (url, name)
    tokens: Tokens


async def connect(booking: Booking, confidant_id: str, state: str, code: str) -> Account:
    """Finish connecting: the state claimed (once, for this confidant), the code traded for
    a grant, and the account's calendars found with it (Google: the account's own CalDAV
    calendar, checked to answer; Microsoft: its calendars, the default one first)."""
    settings = booking.settings
    claimed = await claim(booking, state, confidant_id, booking.clock.now())
    provider = providers(settings).get(claimed.provider)
    if provider is None:
        raise OAuthError("state", "that provider is no longer set up here")
    async with aiohttp.ClientSession() as session:
        tokens = await exchange(session, provider, code, claimed.verifier, claimed.redirect_uri)

        async def token(renew: bool) -> str:
            return tokens.access

        if provider.name == "google":
            username = email_of(provider, tokens.id_token)
            url = f"{settings.google_caldav_url.rstrip('/')}/{quote(username)}/events/"
            await Dav(session, Creds(url, username, "", token)).ctag(url)  # it answers
            return Account(
                provider.name, settings.google_caldav_url, username, [(url, username)], tokens
            )
        graph = Graph(session, settings.microsoft_graph_url, token)
        username = await graph.account()
        listed = await graph.calendars()
    # The default calendar first: it is where Outlook puts what the person does.
    found = [(u, n) for u, n, default in sorted(listed, key=lambda c: not c[2])]
    return Account(provider.name, settings.microsoft_graph_url, username, found, tokens)


class Grant:
    """A confidant's OAuth grant, as the bearer token source of their calendar client:
    ``await grant(renew)`` gives an access token, a fresh one when ``renew`` or when the
    one stored is about to end."""

    def __init__(
        self, booking: Booking, session: aiohttp.ClientSession, confidant: Confidant
    ) -> None:
        self.booking = booking
        self.session = session
        self.confidant_id: str = confidant["_id"]
        self.calendar: CalendarLink = confidant.get("calendar") or {}
        self.access: str | None = None

    def _open(self, field: Literal["access", "grant"]) -> str | None:
        return self.booking.cipher.open_optional(
            self.calendar.get(field), doc_id=self.confidant_id, field=f"calendar.{field}"
        )

    async def __call__(self, renew: bool) -> str:
        now = self.booking.clock.now()
        until = self.calendar.get("access_until")
        if not renew:
            if self.access is not None:
                return self.access
            if until is not None and until.replace(tzinfo=UTC) > now + EARLY:
                self.access = self._open("access")
                if self.access:
                    return self.access
        provider = providers(self.booking.settings).get(self.calendar["provider"])
        refresh = self._open("grant")
        if provider is None or refresh is None:
            raise DavError("revoked", "this installation no longer has that provider set up")
        form = {"grant_type": "refresh_token", "refresh_token": refresh}
        if provider.name == "microsoft":
            form["scope"] = provider.scope
        try:
            tokens = await _token_request(self.session, provider, form)
        except OAuthError:
            raise DavError(
                "revoked", "the permission to use the calendar was withdrawn: connect it again"
            ) from None
        cipher, cid = self.booking.cipher, self.confidant_id
        sets: Query = {
            "calendar.access": cipher.seal(tokens.access, doc_id=cid, field="calendar.access"),
            "calendar.access_until": now + timedelta(seconds=tokens.expires_in),
        }
        if tokens.refresh:  # Microsoft sends a new one each time; the newest is kept
            sets["calendar.grant"] = cipher.seal(tokens.refresh, doc_id=cid, field="calendar.grant")
        await self.booking.update(
            CONFIDANTS, {"_id": cid, "calendar.provider": provider.name}, {"$set": sets}
        )
        self.access = tokens.access
        return tokens.access
