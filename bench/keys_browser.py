"""The cost of the keys in the browser (issue 26), in Chromium, beside PyNaCl doing the same
in the same run:

- ``login_derive``: deriving the password's key, Argon2id at the parameters intake requires
  (3 passes, 64 MiB), in the crypto worker: what a log-in waits for;
- ``open_200``: opening 200 envelopes of 1 KB each in the worker, one message each;
- ``open_200_cases``: what the workspace does for 200 sealed cases, through keys.js as the
  page calls it: each case's key opened from the confidant's wrap, then its 1 KB report;
- ``code_keys``: the reporter's browser deriving the look-up id, secret and key pair from a
  case code (Argon2id, 3 passes, 64 MiB), when reporting and when coming back.

    python -m bench.keys_browser

Prints one JSON line per figure: the browser's p50 and max in ms, and the baseline's.
"""

from __future__ import annotations

import asyncio
import base64
import json
import statistics
import time
from pathlib import Path

from aiohttp import web
from playwright.async_api import async_playwright

from deploy.stack.process import free_port
from shared import envelope
from shared.http.middlewares import HTML_POLICY
from tests.browser.conftest import FLAGS, chromium_path

STATIC = Path(__file__).resolve().parents[1] / "shared" / "static"
ROUNDS = 5

IN_THE_BROWSER = """async ({ salt, pair, sealed, cases, rounds }) => {
  const s = await import("/static/common/sealed.js");
  const k = await import("/static/common/keys.js");
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const keys = { public: bytes(pair.public), private: bytes(pair.private) };
  const envelopes = sealed.map(bytes);
  await s.openSealed(keys, envelopes[0]);  // the worker and libsodium loaded, once
  const derive = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await s.derive("een lang genoeg wachtwoord", bytes(salt), 3, 64 * 1024 * 1024);
    derive.push(performance.now() - t);
  }
  const open = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await Promise.all(envelopes.map((e) => s.openSealed(keys, e)));
    open.push(performance.now() - t);
  }
  const openCases = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    const one = async (c) => k.openText(await k.caseKey(keys, c.wrap, c.public), c.text);
    await Promise.all(cases.map(one));
    openCases.push(performance.now() - t);
  }
  const code = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    await k.codeKeys("R7KM-2QWX-9PTD-4HVN-B3CZ");
    code.push(performance.now() - t);
  }
  return { derive, open, openCases, code };
}"""


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def line(figure: str, browser: list[float], baseline: list[float]) -> str:
    return json.dumps(
        {
            "bench": "keys_browser",
            "figure": figure,
            "p50_ms": round(statistics.median(browser), 1),
            "max_ms": round(max(browser), 1),
            "baseline_pynacl_p50_ms": round(statistics.median(baseline), 1),
        }
    )


async def main() -> None:
    pair, salt = envelope.KeyPair.generate(), envelope.new_salt()
    texts = [(f"melding {i}: " + "x" * 1000).encode() for i in range(200)]
    sealed = [envelope.seal(pair.public, t) for t in texts]
    case_pairs = [envelope.KeyPair.generate() for _ in texts]
    cases = [
        {
            "public": b64(c.public),
            "wrap": b64(envelope.seal(pair.public, c.private)),
            "text": b64(envelope.seal(c.public, t)),
        }
        for c, t in zip(case_pairs, texts, strict=True)
    ]

    async def page(_: web.Request) -> web.Response:
        answer = web.Response(text="<!doctype html><title>bench</title>", content_type="text/html")
        answer.headers["Content-Security-Policy"] = HTML_POLICY
        return answer

    app = web.Application()
    app.router.add_get("/", page)
    app.router.add_static("/static/common/", STATIC)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        tab = await browser.new_page()
        await tab.goto(f"http://127.0.0.1:{port}/")
        got = await tab.evaluate(
            IN_THE_BROWSER,
            {
                "salt": b64(salt),
                "pair": {"public": b64(pair.public), "private": b64(pair.private)},
                "sealed": [b64(s) for s in sealed],
                "cases": cases,
                "rounds": ROUNDS,
            },
        )
        await browser.close()
    await runner.cleanup()
    derive, opened, opened_cases, code = [], [], [], []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for c in cases:
            private = envelope.open_sealed(pair, base64.b64decode(c["wrap"]))
            case_key = envelope.KeyPair(base64.b64decode(c["public"]), private)
            envelope.open_sealed(case_key, base64.b64decode(c["text"]))
        opened_cases.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        envelope.code_keys("R7KM-2QWX-9PTD-4HVN-B3CZ")
        code.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        envelope.derive("een lang genoeg wachtwoord", salt)
        derive.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        for s in sealed:
            envelope.open_sealed(pair, s)
        opened.append((time.perf_counter() - started) * 1000)
    print(line("login_derive", got["derive"], derive))
    print(line("open_200", got["open"], opened))
    print(line("open_200_cases", got["openCases"], opened_cases))
    print(line("code_keys", got["code"], code))


if __name__ == "__main__":
    asyncio.run(main())
