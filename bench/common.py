"""What every bench starts with: its options, and the servers it measures against."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from deploy.stack.infra import Infra, plan_infra

# A bench runs against these when they are set (another MongoDB or NATS), else its own.
OUTSIDE = ("MONGODB_URI", "NATS_URL")


def options(doc: str | None, **defaults: int | str) -> argparse.Namespace:
    """``--name value`` for each default, of the default's type (``--rate 50``)."""
    parser = argparse.ArgumentParser(description=doc)
    for name, default in defaults.items():
        parser.add_argument(f"--{name}", type=type(default), default=default)
    return parser.parse_args()


def bench_infra(data: Path) -> Infra:
    """The stack's servers planned in ``data``, or those ``MONGODB_URI`` and ``NATS_URL`` name."""
    return plan_infra(data, {k: v for k, v in os.environ.items() if k in OUTSIDE})
