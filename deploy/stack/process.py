"""A server or service of the stack as a child process: started in its own session, ready when
its address answers, stopped with SIGTERM and a grace period (and killed with the launcher)."""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from deploy.stack.places import ROOT


class StackError(Exception):
    pass


def _die_with_parent() -> None:
    """In the child, before it runs: ask Linux for SIGTERM when the launcher dies, so a
    launcher killed outright (SIGKILL, a CI timeout) leaves no server holding its port."""
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


PR_SET_PDEATHSIG = 1


_handed_out: set[int] = set()


def free_port() -> int:
    """A port nothing listens on. The kernel may offer a port it just offered again once the
    probing socket is closed (a NATS node once got the same port for clients and routes), so
    a port this process already handed out is never handed out twice."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


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
