"""nats-server with JetStream: one node, or a cluster of three (the tests' stand-in for
production)."""

from __future__ import annotations

import functools
import shutil
import sys
from pathlib import Path

from deploy.stack.process import Process, StackError, free_port, tcp_open


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
