"""Where the stack is: the checkout, the binaries it built, and the ports of `make run`."""

from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
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
