"""An OAuth 2.0 authorisation server as Google's and Microsoft's behave for a web app:
the authorisation-code grant with PKCE (S256 only), refresh tokens, and the errors of
RFC 6749 5.2 in the shapes recorded in ``shapes/``.

The authorisation endpoint consents at once (the person said yes) and sends the browser
back with a code. Knobs for the tests: ``revoke()`` (the person withdrew the permission),
``expire_access()`` (every access token handed out ends now), ``throttle(n)``.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
from aiohttp import web

SHAPES = Path(__file__).parent / "shapes"


def shape(name: str) -> Any:
    return json.loads((SHAPES / name).read_text())


@dataclass
class OAuthServer:
    client_id: str
    client_secret: str
    email: str
    issuer: str  # "https://accounts.google.com" or Microsoft's
    rotate_refresh: bool = False  # Microsoft sends a new refresh token with every refresh
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    refresh_tokens: set[str] = field(default_factory=set)
    access_tokens: set[str] = field(default_factory=set)
    refreshed: int = 0  # refresh grants answered
    throttled: int = 0  # token requests still to answer with 429
    verifiers_seen: list[str] = field(default_factory=list)

    def routes(self, authorize_path: str, token_path: str) -> list[web.RouteDef]:
        return [web.get(authorize_path, self.authorize), web.post(token_path, self.token)]

    def valid(self, request: web.Request) -> bool:
        header = request.headers.get("Authorization", "")
        return header.startswith("Bearer ") and header[7:] in self.access_tokens

    def revoke(self) -> None:
        self.refresh_tokens.clear()
        self.access_tokens.clear()

    def expire_access(self) -> None:
        self.access_tokens.clear()

    async def authorize(self, request: web.Request) -> web.Response:
        q = request.query
        problems = [
            name
            for name, ok in (
                ("response_type", q.get("response_type") == "code"),
                ("client_id", q.get("client_id") == self.client_id),
                ("redirect_uri", q.get("redirect_uri", "").startswith("http")),
                ("code_challenge_method", q.get("code_challenge_method") == "S256"),
                ("code_challenge", len(q.get("code_challenge", "")) == 43),
                ("state", bool(q.get("state"))),
                ("scope", bool(q.get("scope"))),
            )
            if not ok
        ]
        if problems:  # the provider shows its own error page and does not redirect
            return web.Response(status=400, text=f"invalid request: {', '.join(problems)}")
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "challenge": q["code_challenge"],
            "redirect_uri": q["redirect_uri"],
            "scope": q["scope"],
        }
        back = f"{q['redirect_uri']}?{urlencode({'code': code, 'state': q['state']})}"
        raise web.HTTPFound(back)

    def _error(self, error: str, description: str, status: int = 400) -> web.Response:
        body = shape("oauth_invalid_grant.json")
        body.update({"error": error, "error_description": description})
        return web.json_response(body, status=status)

    def _tokens(self, scope: str, refresh: str | None) -> dict[str, Any]:
        body: dict[str, Any] = shape("oauth_token.json")
        access = secrets.token_urlsafe(24)
        self.access_tokens.add(access)
        body.update({"access_token": access, "expires_in": 3599, "scope": scope})
        if refresh is None:
            body.pop("refresh_token")
        else:
            body["refresh_token"] = refresh
        claims = {"iss": self.issuer, "aud": self.client_id, "sub": "1", "email": self.email}
        body["id_token"] = jwt.encode(claims, "stand-in-signing-key-of-32-bytes!", "HS256")
        return body

    async def token(self, request: web.Request) -> web.Response:
        if self.throttled > 0:
            self.throttled -= 1
            return web.json_response(
                shape("graph_error_429.json"), status=429, headers={"Retry-After": "30"}
            )
        form = await request.post()
        if form.get("client_id") != self.client_id or form.get("client_secret") != (
            self.client_secret
        ):
            return self._error("invalid_client", "client authentication failed", 401)
        grant = form.get("grant_type")
        if grant == "authorization_code":
            found = self.codes.pop(str(form.get("code")), None)  # a code works once
            if found is None:
                return self._error("invalid_grant", "unknown or used code")
            verifier = str(form.get("code_verifier", ""))
            self.verifiers_seen.append(verifier)
            digest = hashlib.sha256(verifier.encode()).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != found["challenge"]:
                return self._error("invalid_grant", "code_verifier does not match")
            if form.get("redirect_uri") != found["redirect_uri"]:
                return self._error("invalid_grant", "redirect_uri does not match")
            refresh = secrets.token_urlsafe(24)
            self.refresh_tokens.add(refresh)
            return web.json_response(self._tokens(found["scope"], refresh))
        if grant == "refresh_token":
            refresh = str(form.get("refresh_token"))
            if refresh not in self.refresh_tokens:
                return self._error("invalid_grant", "Token has been expired or revoked.")
            self.refreshed += 1
            new = None
            if self.rotate_refresh:
                new = secrets.token_urlsafe(24)
                self.refresh_tokens.add(new)
            return web.json_response(self._tokens("calendar", new))
        return self._error("unsupported_grant_type", str(grant))
