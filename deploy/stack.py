"""The embedded stack: FerretDB, nats-server, Radicale, an SMTP sink, Dovecot (IMAP, the
organisations' mailboxes) and the four services.

Used by ``make run`` (``python -m deploy.stack``) and by the test fixtures, which start the
same servers on free ports in a temporary folder. Each server is a child process in its own
session, so a Ctrl-C reaches only this launcher, which then stops the services first and the
servers after them, each with SIGTERM and a grace period.

Setting ``MONGODB_URI``, ``NATS_URL``, ``CALDAV_URL``, ``SMTP_HOST`` or ``INTAKE_IMAP_HOST``
uses that external server instead, and the embedded one is not started.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FERRETDB_BIN = Path(os.environ.get("FERRETDB_BIN", ROOT / ".cache" / "bin" / "ferretdb"))
FRONT_DOOR_PORT = 8080  # the suite's one address in `make run`
SERVICES = {"intake": 8081, "booking": 8082, "notify": 8083, "reporting": 8084}
DEV_PORTS = {
    "mongo": 27217,
    "nats": 4322,
    "caldav": 5232,
    "smtp": 1025,
    "imap": 1143,
    "lmtp": 1024,
}
DEMO_CALDAV_USER = ("demo-confidant", "demo-confidant")


class StackError(Exception):
    pass


def _die_with_parent() -> None:
    """In the child, before it runs: ask Linux for SIGTERM when the launcher dies, so a
    launcher killed outright (SIGKILL, a CI timeout) leaves no server holding its port."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def tcp_open(host: str, port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.5):
        return True
    return False


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:  # noqa: S310 (our own loopback)
            return bool(response.status == 200)
    except OSError:
        return False


@dataclass
class Process:
    """One child process and how to tell that it is ready."""

    name: str
    argv: list[str]
    ready: Callable[[], bool]
    url: str
    env: Mapping[str, str] = field(default_factory=dict)
    log_path: Path | None = None
    popen: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with contextlib.ExitStack() as stack:
            log = stack.enter_context(open(self.log_path, "ab")) if self.log_path else None
            self.popen = subprocess.Popen(
                self.argv,
                env={**os.environ, **self.env},
                stdout=log if log is not None else subprocess.DEVNULL,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=ROOT,
                start_new_session=True,  # the terminal's Ctrl-C is ours to hand on, in order
                preexec_fn=_die_with_parent,
            )

    def wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.popen is not None and self.popen.poll() is not None:
                raise StackError(
                    f"{self.name} exited with code {self.popen.returncode}"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            if self.ready():
                return
            time.sleep(0.05)
        raise StackError(
            f"{self.name} was not ready after {timeout:.0f} s"
            + (f"; see {self.log_path}" if self.log_path else "")
        )

    def stop(self, grace: float = 10.0) -> None:
        if self.popen is None or self.popen.poll() is not None:
            return
        self.popen.send_signal(signal.SIGTERM)
        try:
            self.popen.wait(grace)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait()

    def kill(self) -> None:
        """Die at once, as in a crash (tests use this)."""
        if self.popen is not None and self.popen.poll() is None:
            self.popen.kill()
            self.popen.wait()


# -- the servers ------------------------------------------------------------------------------


def ferretdb(data: Path, port: int) -> Process:
    if not FERRETDB_BIN.exists():
        raise StackError(
            f"FerretDB is not built at {FERRETDB_BIN}: run 'make ferretdb', "
            "or set MONGODB_URI to use a MongoDB server"
        )
    data.mkdir(parents=True, exist_ok=True)
    return Process(
        "ferretdb",
        [
            str(FERRETDB_BIN),
            "--handler=sqlite",
            f"--sqlite-url=file:{data}/",
            f"--listen-addr=127.0.0.1:{port}",
            "--telemetry=disable",
            "--debug-addr=-",
            f"--state-dir={data}",
            "--log-level=warn",
        ],
        ready=lambda: tcp_open("127.0.0.1", port),
        url=f"mongodb://127.0.0.1:{port}/",
        log_path=data.parent / "ferretdb.log",
    )


def _nats_binary() -> str:
    binary = shutil.which("nats-server", path=str(Path(sys.executable).parent)) or shutil.which(
        "nats-server"
    )
    if binary is None:
        raise StackError("nats-server is not installed: run 'make install'")
    return binary


def nats_server(data: Path, port: int) -> Process:
    data.mkdir(parents=True, exist_ok=True)
    return Process(
        "nats",
        [_nats_binary(), "-js", "-sd", str(data), "-a", "127.0.0.1", "-p", str(port)],
        ready=lambda: tcp_open("127.0.0.1", port),
        url=f"nats://127.0.0.1:{port}",
        log_path=data.parent / "nats.log",
    )


def nats_cluster(data: Path, nodes: int = 3) -> list[Process]:
    """A NATS cluster with JetStream on every node (the tests' stand-in for production)."""
    ports = [(free_port(), free_port()) for _ in range(nodes)]
    routes = ",".join(f"nats://127.0.0.1:{route}" for _, route in ports)
    found = []
    for i, (port, route) in enumerate(ports, 1):
        folder = data / f"n{i}"
        folder.mkdir(parents=True, exist_ok=True)
        found.append(
            Process(
                f"nats{i}",
                [
                    _nats_binary(),
                    "-js",
                    "-sd",
                    str(folder),
                    "-a",
                    "127.0.0.1",
                    "-p",
                    str(port),
                    "--server_name",
                    f"n{i}",
                    "--cluster_name",
                    "vertrouwd",
                    "--cluster",
                    f"nats://127.0.0.1:{route}",
                    "--routes",
                    routes,
                ],
                ready=functools.partial(tcp_open, "127.0.0.1", port),
                url=f"nats://127.0.0.1:{port}",
                log_path=data / f"nats{i}.log",
            )
        )
    return found


def radicale(data: Path, port: int, users: Mapping[str, str]) -> Process:
    data.mkdir(parents=True, exist_ok=True)
    (data / "users").write_text("".join(f"{u}:{p}\n" for u, p in users.items()))
    (data / "config").write_text(
        "[server]\n"
        f"hosts = 127.0.0.1:{port}\n"
        "[auth]\n"
        "type = htpasswd\n"
        f"htpasswd_filename = {data / 'users'}\n"
        "htpasswd_encryption = plain\n"
        "[rights]\n"
        "type = owner_only\n"
        "[storage]\n"
        f"filesystem_folder = {data / 'collections'}\n"
        "[logging]\n"
        "level = warning\n"
    )
    return Process(
        "radicale",
        [sys.executable, "-m", "radicale", "--config", str(data / "config")],
        ready=lambda: tcp_open("127.0.0.1", port),
        url=f"http://127.0.0.1:{port}/",
        log_path=data.parent / "radicale.log",
    )


def xandikos(data: Path, port: int) -> Process:
    """A second CalDAV server (Xandikos, git-backed), for the tests: the sync must hold on
    more than one server. It serves one principal, ``/user/``, without authentication of
    its own (in front of it, ``digest_front`` asks for Digest)."""
    data.mkdir(parents=True, exist_ok=True)
    return Process(
        "xandikos",
        [
            sys.executable,
            "-m",
            "xandikos",
            "serve",
            "--defaults",
            "-d",
            str(data / "collections"),
            "--state-dir",
            str(data / "state"),
            "-l",
            "127.0.0.1",
            "-p",
            str(port),
            "--no-detect-systemd",
        ],
        ready=lambda: tcp_open("127.0.0.1", port),
        url=f"http://127.0.0.1:{port}/",
        log_path=data.parent / "xandikos.log",
    )


def digest_front(data: Path, port: int, upstream: int, user: str, password: str) -> Process:
    """lighttpd asking for HTTP Digest (as SabreDAV's stock backend, and so many Baikal
    installs, do) in front of a server on ``upstream``."""
    binary = shutil.which("lighttpd") or "/usr/sbin/lighttpd"
    data.mkdir(parents=True, exist_ok=True)
    realm = "caldav"
    ha1 = hashlib.md5(f"{user}:{realm}:{password}".encode()).hexdigest()  # noqa: S324 (Digest)
    (data / "htdigest").write_text(f"{user}:{realm}:{ha1}\n")
    (data / "root").mkdir(exist_ok=True)
    (data / "lighttpd.conf").write_text(
        'server.modules = ("mod_auth", "mod_authn_file", "mod_proxy")\n'
        f'server.bind = "127.0.0.1"\nserver.port = {port}\n'
        f'server.document-root = "{data / "root"}"\n'
        f'server.errorlog = "{data / "error.log"}"\n'
        'auth.backend = "htdigest"\n'
        f'auth.backend.htdigest.userfile = "{data / "htdigest"}"\n'
        f'auth.require = ("/" => ("method" => "digest", "realm" => "{realm}", '
        '"require" => "valid-user"))\n'
        f'proxy.server = ("" => (("host" => "127.0.0.1", "port" => {upstream})))\n'
    )
    return Process(
        "digest-front",
        [binary, "-D", "-f", str(data / "lighttpd.conf")],
        ready=lambda: tcp_open("127.0.0.1", port),
        url=f"http://127.0.0.1:{port}/",
        log_path=data.parent / "digest-front.log",
    )


def front_door(data: Path, port: int, upstreams: Mapping[str, Sequence[str]]) -> Process:
    """nginx in front of the four services: the suite under one address (deploy/frontdoor.py)."""
    from deploy.frontdoor import nginx_conf

    binary = shutil.which("nginx") or "/usr/sbin/nginx"
    data.mkdir(parents=True, exist_ok=True)
    (data / "nginx.conf").write_text(nginx_conf(data, upstreams, port))
    return Process(
        "front-door",
        # -e: the error log from the start, before the configuration names it (the packaged
        # default is /var/log/nginx, which only root may write).
        [
            binary,
            "-e",
            "stderr",
            "-p",
            str(data),
            "-c",
            str(data / "nginx.conf"),
            "-g",
            "daemon off;",
        ],
        ready=lambda: tcp_open("127.0.0.1", port),
        url=f"http://127.0.0.1:{port}/",
        log_path=data.parent / "front-door.log",
    )


def _mail_home(data: Path) -> Path:
    """Where Dovecot keeps the mailboxes. Run as root, Dovecot reads and writes mail as its
    own ``dovecot`` user, which must reach the folder: when an ancestor is closed to others
    (pytest's temporary folders are), a folder in the system's temporary space is used."""
    home = data / "mail"
    if os.geteuid() != 0:
        return home
    open_path = all(os.stat(p).st_mode & 0o001 for p in [*home.parents][:-1] if p.exists())
    if not open_path:
        digest = hashlib.sha256(str(home).encode()).hexdigest()[:12]
        home = Path(tempfile.gettempdir()) / f"vertrouwd-mail-{digest}"
    home.mkdir(parents=True, exist_ok=True)
    shutil.chown(home, "dovecot", "dovecot")
    return home


def dovecot(data: Path, port: int, lmtp_port: int) -> Process:
    """IMAP with one mailbox per user (Debian's ``dovecot-imapd``), and LMTP to deliver into
    them as a mail server would. Users are added with ``mailbox_user``."""
    binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
    data.mkdir(parents=True, exist_ok=True)
    users = data / "users"
    users.touch()
    home = _mail_home(data)
    auth_user = ""
    if os.geteuid() == 0:  # its processes must not run as root: Dovecot's own users
        login, internal, group = "dovenull", "dovecot", "dovecot"
        uid, gid = _ids("dovecot")
        # Except authentication, which reads the users file inside our (closed) folder.
        auth_user = "service auth {\n  user = root\n}\n"
    else:
        login = internal = os.environ.get("USER") or _user_name()
        group = _group_name()
        uid, gid = os.getuid(), os.getgid()
    (data / "dovecot.conf").write_text(
        f"""protocols = imap lmtp
listen = 127.0.0.1
base_dir = {data / "run"}
state_dir = {data / "state"}
log_path = {data / "dovecot.log"}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
default_login_user = {login}
default_internal_user = {internal}
default_internal_group = {group}
first_valid_uid = 1
first_valid_gid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {users}
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={home}/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp_port}
  }}
}}
protocol lmtp {{
  postmaster_address = postmaster@localhost
}}
{auth_user}"""
    )
    (data / "run" / "master.pid").unlink(missing_ok=True)  # a crash's leftover blocks a start
    return Process(
        "imap",
        [binary, "-F", "-c", str(data / "dovecot.conf")],
        ready=lambda: tcp_open("127.0.0.1", port) and tcp_open("127.0.0.1", lmtp_port),
        url=f"imap://127.0.0.1:{port} (LMTP 127.0.0.1:{lmtp_port})",
        log_path=data.parent / "imap.log",
    )


def mailbox_user(data: Path, user: str, password: str) -> None:
    """Add a mailbox to an embedded Dovecot (it reads the file again when it changes)."""
    users = data / "users"
    known = users.read_text().splitlines() if users.exists() else []
    if not any(line.startswith(f"{user}:") for line in known):
        with open(users, "a") as f:
            f.write(f"{user}:{{PLAIN}}{password}\n")


def _ids(name: str) -> tuple[int, int]:
    import pwd

    entry = pwd.getpwnam(name)
    return entry.pw_uid, entry.pw_gid


def _user_name() -> str:
    import pwd

    return pwd.getpwuid(os.getuid()).pw_name


def _group_name() -> str:
    import grp

    return grp.getgrgid(os.getgid()).gr_name


def smtp_sink(maildir: Path, port: int) -> Process:
    maildir.mkdir(parents=True, exist_ok=True)
    return Process(
        "smtp",
        [sys.executable, "-m", "deploy.smtp_sink", "--port", str(port), "--maildir", str(maildir)],
        ready=lambda: tcp_open("127.0.0.1", port),
        url=f"smtp://127.0.0.1:{port} (messages in {maildir})",
        log_path=maildir.parent / "smtp.log",
    )


def service(name: str, port: int, env: Mapping[str, str], logs: Path) -> Process:
    logs.mkdir(parents=True, exist_ok=True)
    return Process(
        name,
        [sys.executable, "-m", f"services.{name}"],
        ready=lambda: http_ok(f"http://127.0.0.1:{port}/readyz"),
        url=f"http://127.0.0.1:{port}/",
        env={**env, f"{name.upper()}_PORT": str(port)},
        log_path=logs / f"{name}.log",
    )


# -- the whole stack ---------------------------------------------------------------------------


@dataclass
class Infra:
    """Where the servers are: embedded ones started here, or external ones from settings."""

    mongodb_uri: str
    nats_url: str
    caldav_url: str
    smtp_host: str
    smtp_port: int
    maildir: Path | None
    processes: list[Process]
    # The organisations' mailboxes: an external IMAP server, or the embedded Dovecot (its
    # folder, for ``mailbox_user``, and its LMTP port to deliver into it).
    imap_host: str = ""
    imap_port: int = 0
    imap_tls: bool = True
    imap_data: Path | None = None
    lmtp_port: int = 0

    def env(self) -> dict[str, str]:
        return {
            "MONGODB_URI": self.mongodb_uri,
            "NATS_URL": self.nats_url,
            "CALDAV_URL": self.caldav_url,
            "SMTP_HOST": self.smtp_host,
            "SMTP_PORT": str(self.smtp_port),
            "INTAKE_IMAP_HOST": self.imap_host,
            "INTAKE_IMAP_PORT": str(self.imap_port),
            "INTAKE_IMAP_TLS": str(self.imap_tls).lower(),
        }

    def process(self, name: str) -> Process:
        return next(p for p in self.processes if p.name == name)


def plan_infra(
    data: Path, environ: Mapping[str, str], ports: Mapping[str, int] | None = None
) -> Infra:
    """Decide which servers to start; external ones named in ``environ`` are used as they are."""

    def port(name: str) -> int:
        return ports[name] if ports and name in ports else free_port()

    processes: list[Process] = []
    mongodb_uri = environ.get("MONGODB_URI", "")
    if not mongodb_uri:
        p = ferretdb(data / "ferretdb", port("mongo"))
        processes.append(p)
        mongodb_uri = p.url
    nats_url = environ.get("NATS_URL", "")
    if not nats_url:
        p = nats_server(data / "nats", port("nats"))
        processes.append(p)
        nats_url = p.url
    caldav_url = environ.get("CALDAV_URL", "")
    if not caldav_url:
        p = radicale(data / "radicale", port("caldav"), dict([DEMO_CALDAV_USER]))
        processes.append(p)
        caldav_url = p.url
    smtp_host, smtp_port, maildir = environ.get("SMTP_HOST", ""), 0, None
    if smtp_host:
        smtp_port = int(environ.get("SMTP_PORT", "25"))
    else:
        smtp_port = port("smtp")
        maildir = data / "mail"
        processes.append(smtp_sink(maildir, smtp_port))
        smtp_host = "127.0.0.1"
    infra = Infra(mongodb_uri, nats_url, caldav_url, smtp_host, smtp_port, maildir, processes)
    if environ.get("INTAKE_IMAP_HOST"):
        infra.imap_host = environ["INTAKE_IMAP_HOST"]
        infra.imap_port = int(environ.get("INTAKE_IMAP_PORT", "993"))
        infra.imap_tls = environ.get("INTAKE_IMAP_TLS", "true").lower() == "true"
    else:
        infra.imap_host, infra.imap_port, infra.imap_tls = "127.0.0.1", port("imap"), False
        infra.imap_data, infra.lmtp_port = data / "imap", port("lmtp")
        processes.append(dovecot(infra.imap_data, infra.imap_port, infra.lmtp_port))
    return infra


def service_env(infra: Infra, keys: Path) -> dict[str, str]:
    """What the services of a stack read: where the servers are, and the keys in ``keys``
    (made there if missing)."""
    from shared.devtokens import ensure_keys, secrets_env

    return {**infra.env(), "JWKS_FILE": str(ensure_keys(keys)), **secrets_env(keys)}


@contextlib.contextmanager
def running(*groups: list[Process], timeout: float = 90.0) -> Iterator[list[Process]]:
    """Start each group at once and wait until all of it is ready before the next group;
    on the way out stop everything in reverse order (services before the servers they use)."""
    started: list[Process] = []
    try:
        for group in groups:
            for p in group:
                p.start()
                started.append(p)
            for p in group:
                p.wait_ready(timeout)
        yield started
    finally:
        for p in reversed(started):
            p.stop()


# -- make run ----------------------------------------------------------------------------------


def main() -> int:
    from deploy.seed import DEMO_MAILBOX, seed, seed_booking
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
            created = seed(
                infra.mongodb_uri,
                infra.caldav_url,
                DEMO_CALDAV_USER,
                data_keys=Path(env["INTAKE_DATA_KEYS_FILE"]),
                mailbox=DEMO_MAILBOX if infra.imap_data is not None else None,
            )
            admin = load_issuer(data / "keys").issue(
                sub="make-run", role="admin", audience="booking", ttl_s=300
            )
            booking_url = next(p.url for p in services if p.name == "booking")
            created += seed_booking(booking_url, admin, infra.caldav_url, DEMO_CALDAV_USER)
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
            f"  {p.name:<10} {front.url}api/{p.name}/openapi.json  (its API: every path there "
            f"is under {front.url}api/{p.name}/)"
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
