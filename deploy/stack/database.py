"""FerretDB on SQLite: the embedded MongoDB-compatible database."""

from __future__ import annotations

from pathlib import Path

from deploy.stack.places import FERRETDB_BIN
from deploy.stack.process import Process, StackError, tcp_open


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
