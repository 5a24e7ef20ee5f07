"""The cluster scenario as a figure: two instances of every service on a 3-node NATS
cluster, 36 reports and 12 bookings under the faults of ``tests/cluster`` (the stream's
leader node killed, one instance of each service killed, the database paused).

    python -m bench.cluster

Runs that test (it is the scenario: it asserts that nothing was lost and nothing happened
twice, so a pass means lost = 0 and duplicates = 0) and prints its time as a JSON line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from tests.cluster.test_cluster import BOOK_EVERY, REPORTS


def main() -> int:
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/cluster"],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    passed = run.returncode == 0
    print(
        json.dumps(
            {
                "bench": "cluster",
                "instances": 2,
                "nats_nodes": 3,
                "cases": REPORTS,
                "bookings": REPORTS // BOOK_EVERY,
                "lost": 0 if passed else None,
                "duplicates": 0 if passed else None,
                "passed": passed,
                "seconds": round(seconds, 1),
            }
        )
    )
    if not passed:
        print(run.stdout[-3000:], file=sys.stderr)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
