"""``make run``: the embedded stack, seeded with a demo organisation and confidant, until
Ctrl-C."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from deploy.stack.door import front_door
from deploy.stack.infra import Infra, plan_infra, running, service_env
from deploy.stack.mail import mailbox_user
from deploy.stack.places import DEMO_CALDAV_USER, DEV_PORTS, FRONT_DOOR_PORT, ROOT, SERVICES
from deploy.stack.process import Process, StackError, tcp_open
from deploy.stack.services import service

# -- make run ----------------------------------------------------------------------------------


def main() -> int:
    from deploy.seed import DEMO_MAILBOX, seed_booking, seed_calendar, seed_intake
    from shared.devtokens import load_issuer

    data = Path(os.environ.get("VERTROUWD_DATA", ROOT / ".data")).resolve()
    # A second stack beside the first (tests, a colleague's checkout) shifts every port.
    offset = int(os.environ.get("VERTROUWD_PORT_OFFSET", "0"))
    infra = plan_infra(data, os.environ, {k: v + offset for k, v in DEV_PORTS.items()})
    env = service_env(infra, data / "keys")
    # People reach the suite through the front door only; intake counts attempts per client
    # address, which nginx passes on in X-Forwarded-For.
    front = front_door(
        data / "front-door",
        FRONT_DOOR_PORT + offset,
        {name: [f"127.0.0.1:{port + offset}"] for name, port in SERVICES.items()},
    )
    env["SUITE_URL"] = front.url
    env["INTAKE_TRUSTED_PROXIES"] = "127.0.0.1"  # the front door (nginx) on this host
    services = [service(name, port + offset, env, data / "logs") for name, port in SERVICES.items()]
    busy = [p.url for p in [*infra.processes, *services, front] if _port_taken(p.url)]
    if busy:
        print(
            f"These ports are in use (is 'make run' already running?): {', '.join(busy)}",
            file=sys.stderr,
        )
        return 1

    # SIGTERM ends the run as Ctrl-C does: through the finally clauses that stop children.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    started = time.monotonic()
    try:
        with running(infra.processes, services, [front]):
            if infra.imap_data is not None:
                mailbox_user(infra.imap_data, *DEMO_MAILBOX)
            issuer = load_issuer(data / "keys")
            url = {p.name: p.url for p in services}

            def office(audience: str) -> str:  # the firm's office, for the seed's API calls
                return issuer.issue(sub="make-run", role="admin", audience=audience, ttl_s=300)

            mailbox = DEMO_MAILBOX if infra.imap_data is not None else None
            org_id, created = seed_intake(url["intake"], office("intake"), mailbox)
            created += seed_calendar(infra.caldav_url, DEMO_CALDAV_USER)
            created += seed_booking(
                url["booking"], office("booking"), infra.caldav_url, DEMO_CALDAV_USER, org_id
            )
            elapsed = time.monotonic() - started
            _print_where_to_look(front, infra, services, data, created, elapsed)
            while all(
                p.popen is not None and p.popen.poll() is None
                for p in [*infra.processes, *services, front]
            ):
                time.sleep(0.5)
            dead = [
                p
                for p in [*infra.processes, *services, front]
                if p.popen is not None and p.popen.poll() is not None
            ]
            print(
                f"\n{', '.join(p.name for p in dead)} stopped unexpectedly; see {data / 'logs'}"
                " and the other logs there. Stopping everything.",
                file=sys.stderr,
            )
            return 1
    except KeyboardInterrupt:
        print("\nStopped; data kept in", data)
        return 0
    except StackError as exc:
        print(f"make run failed: {exc}", file=sys.stderr)
        return 1


def _port_taken(url: str) -> bool:
    host_port = url.split("://", 1)[-1].split("/", 1)[0].split(" ", 1)[0]
    host, _, port = host_port.rpartition(":")
    return host == "127.0.0.1" and port.isdigit() and tcp_open(host, int(port))


def _print_where_to_look(
    front: Process,
    infra: Infra,
    services: list[Process],
    data: Path,
    created: list[str],
    elapsed: float,
) -> None:
    print(f"\nVertrouwd is running (all ready in {elapsed:.1f} s). Ctrl-C stops everything.\n")
    print(
        f"  Open {front.url}  (the start page: where employees, confidants and organisations go)\n"
    )
    for p in services:
        print(
            f"  {p.name:<10} {front.url}api/{p.name}/openapi.json  (its API; the paths in it "
            f"are under /api/{p.name}/)"
        )
    print()
    print(f"  {'mongodb':<10} {infra.mongodb_uri}")
    print(f"  {'nats':<10} {infra.nats_url}")
    print(
        f"  {'caldav':<10} {infra.caldav_url}  user/password: "
        f"{DEMO_CALDAV_USER[0]} / {DEMO_CALDAV_USER[1]}"
    )
    if infra.maildir:
        print(f"  {'mail':<10} every e-mail sent lands in {infra.maildir}")
    if infra.imap_data is not None:
        print(
            f"  {'mail in':<10} {infra.imap_host}:{infra.imap_port} (IMAP); a report by e-mail: "
            f".venv/bin/python -m deploy.mailin --port {infra.lmtp_port} 'your text'"
        )
    print(f"  {'logs':<10} {data / 'logs'}")
    print(
        f"\n  Demo organisation 'demo' and confidant 'demo-confidant'"
        f"{' (created now: ' + ', '.join(created) + ')' if created else ' (kept from before)'}."
    )
    print(
        "  Log in as admin / vertrouwd-admin, demo-confidant / vertrouwd-demo or demo-hr / "
        "vertrouwd-hr (the organisation's admin)"
    )
    print(f"  The demo organisation's page (report, then book): {front.url}o/demo")
    print(
        f"  The workspace: {front.url}staff (the confidant's cases, agenda and reports; "
        "demo-hr lands on the organisation's reports)"
    )
    print(
        f"  Or make a token:  .venv/bin/python -m shared.devtokens token "
        f"--keys {data / 'keys'} --role admin --aud intake\n",
        flush=True,
    )


if __name__ == "__main__":
    sys.exit(main())
