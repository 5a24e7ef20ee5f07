"""The CalDAV servers: Radicale (the default), Xandikos (a second kind, for the tests), and
lighttpd with HTTP Digest in front of one."""

from __future__ import annotations

import hashlib
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from deploy.stack.process import Process, tcp_open


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
