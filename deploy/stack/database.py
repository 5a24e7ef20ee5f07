"""FerretDB on SQLite: the embedded MongoDB-compatible database."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from deploy.stack.places import FERRETDB_BIN
from deploy.stack.process import Process, StackError, tcp_open


def ferretdb(data: Path, port: int, postgresql_url: str | None = None) -> Process:
    """FerretDB on SQLite in ``data``; with ``postgresql_url``, on that PostgreSQL instead
    (what ``bench.scale --backend postgresql`` measures)."""
    if not FERRETDB_BIN.exists():
        raise StackError(
            f"FerretDB is not built at {FERRETDB_BIN}: run 'make ferretdb', "
            "or set MONGODB_URI to use a MongoDB server"
        )
    data.mkdir(parents=True, exist_ok=True)
    # secure_delete: SQLite zeroes what is deleted or replaced, so a copy of the files holds
    # no earlier version of a document (a mail's text before it was sealed, say).
    backend = (
        ["--handler=sqlite", f"--sqlite-url=file:{data}/?_pragma=secure_delete(1)"]
        if postgresql_url is None
        else ["--handler=postgresql", f"--postgresql-url={postgresql_url}"]
    )
    return Process(
        "ferretdb",
        [
            str(FERRETDB_BIN),
            *backend,
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


HOST = "127.0.0.1"


def postgres(data: Path, port: int) -> Process:
    """Debian's PostgreSQL with a cluster of its own in ``data`` (made on first use), for
    FerretDB's PostgreSQL backend: what ``bench.scale --backend postgresql`` measures
    against SQLite. Its defaults, durability included: a fair comparison. PostgreSQL will
    not run as root; as root, it runs as the ``postgres`` user Debian's package makes."""
    as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
    if not (data / "PG_VERSION").exists():
        data.mkdir(parents=True, exist_ok=True)
        if as_user:
            shutil.chown(data, "postgres", "postgres")
        made = subprocess.run(
            [*as_user, "initdb", "-D", str(data), "-A", "trust", "-U", "ferretdb", "-E", "UTF8"],
            capture_output=True,
            text=True,
            check=False,
        )
        if made.returncode != 0:
            raise StackError(f"initdb failed: {made.stderr.strip()}")
    return Process(
        "postgres",
        [
            *as_user,
            "postgres",
            "-D",
            str(data),
            "-p",
            str(port),
            "-k",
            str(data),
            "-h",
            "127.0.0.1",
        ],
        ready=lambda: tcp_open("127.0.0.1", port),
        url=f"postgres://ferretdb@127.0.0.1:{port}/postgres",
        log_path=data.parent / "postgres.log",
    )
