"""Time from `make run`'s launcher start to every service ready, beside the servers alone.

    python -m bench.stack_startup [--runs 3]

- baseline: FerretDB, nats-server, Radicale and the SMTP sink started and reachable;
- full stack: ``python -m deploy.stack`` (what `make run` runs after installing) until it
  prints that all four services are ready, on a fresh data folder (first) and on the same
  folder again (restart, data kept).
"""

from __future__ import annotations

import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import options
from deploy.stack.infra import plan_infra, running

READY_LINE = "Ctrl-C stops everything"


def infra_only(data: Path) -> float:
    start = time.perf_counter()
    plan = plan_infra(data, {})
    with running(plan.processes):
        return time.perf_counter() - start


def full_stack(data: Path, offset: int) -> float:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("MONGODB_URI", "NATS_URL", "CALDAV_URL", "SMTP_HOST")
    }
    env.update(VERTROUWD_DATA=str(data), VERTROUWD_PORT_OFFSET=str(offset))
    start = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "deploy.stack"],
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    assert proc.stdout is not None
    try:
        for line in proc.stdout:
            if READY_LINE in line:
                return time.perf_counter() - start
        raise RuntimeError("the stack exited before it was ready")
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
        proc.stdout.close()


def main() -> None:
    args = options(__doc__, runs=3)
    base, first, again = [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            base.append(infra_only(Path(tmp) / "infra"))
            offset = random.randrange(
                1_000, 5_500, 10
            )  # all ports stay below the ephemeral range (32768+)
            first.append(full_stack(Path(tmp) / "stack", offset))
            again.append(full_stack(Path(tmp) / "stack", offset))
    print(f"startup over {args.runs} runs (median, min-max), seconds:")
    for name, values in (
        ("baseline: servers only", base),
        ("make run, fresh data", first),
        ("make run, restart", again),
    ):
        print(
            f"  {name:<24} {statistics.median(values):5.2f}  ({min(values):.2f}-{max(values):.2f})"
        )


if __name__ == "__main__":
    main()
