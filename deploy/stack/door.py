"""The front door: nginx in front of the four services, the whole suite under one address."""

from __future__ import annotations

import shutil
from collections.abc import Mapping, Sequence
from pathlib import Path

from deploy.stack.process import Process, tcp_open


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
