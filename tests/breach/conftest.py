"""The breach test's own servers: a stack of its own in a folder of its own, so that what
is copied after it stops is exactly what a server of this test held."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from deploy.stack.infra import Infra, plan_infra, running
from deploy.stack.places import FERRETDB_BIN


@pytest.fixture(scope="module")
def stack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("breach-stack")


@pytest.fixture(scope="module")
def infra(stack_dir: Path) -> Iterator[Infra]:
    """Always the embedded servers (even where the suite runs against external ones): the
    test takes their files."""
    if not FERRETDB_BIN.exists():
        pytest.skip("the breach test copies FerretDB's files: run 'make ferretdb'")
    plan = plan_infra(stack_dir, {})
    with running(plan.processes):
        yield plan
