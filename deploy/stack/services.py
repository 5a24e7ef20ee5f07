"""The four services, each as ``python -m services.<name>`` with its log file."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from deploy.stack.process import Process, http_ok


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
