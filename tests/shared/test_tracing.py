"""One report, one trace: the HTTP request in intake, the events it publishes handled in
booking, notify and reporting, all under one trace id,
carried in HTTP and NATS headers (W3C trace context). No personal data in any span."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.conftest import StartService
from tests.polling import eventually
from tests.services.intake.conftest import NAMED
from tests.services.notify.conftest import Inbox, Suite, inbox, suite

__all__ = ["inbox", "suite"]  # fixtures used here


@pytest.fixture(scope="session")
def exporter() -> InMemorySpanExporter:
    found = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(found))
    trace.set_tracer_provider(provider)
    return found


@pytest.fixture
def spans(exporter: InMemorySpanExporter) -> Iterator[InMemorySpanExporter]:
    exporter.clear()
    yield exporter
    exporter.clear()


async def test_one_report_is_one_trace_across_the_services(
    spans: InMemorySpanExporter, suite: Suite, inbox: Inbox, start_service: StartService
) -> None:
    await start_service("reporting")
    before = {s.context.trace_id for s in spans.get_finished_spans()}
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    answer = await suite.intake.post(
        "/v1/cases",
        json={**NAMED, "organisation": suite.org["slug"]},
        headers={"traceparent": traceparent},
    )
    assert answer.status == 201
    trace_id = int("0af7651916cd43dd8448eb211c80319c", 16)
    assert trace_id not in before

    def scopes() -> set[str]:
        return {
            s.instrumentation_scope.name
            for s in spans.get_finished_spans()
            if s.context.trace_id == trace_id and s.instrumentation_scope is not None
        }

    async def everywhere() -> bool:
        return {
            "vertrouwd.intake",
            "vertrouwd.booking",
            "vertrouwd.notify",
            "vertrouwd.reporting",
        } <= scopes()

    await eventually(everywhere)
    ours = [s for s in spans.get_finished_spans() if s.context.trace_id == trace_id]
    names = {s.name for s in ours}
    assert "POST /v1/cases" in names
    assert "handle intake.case.opened" in names

    # Notify's workers ask intake for the address later, in a trace of their own.
    async def asked() -> bool:
        return any(s.name == "answer rpc.intake.contact" for s in spans.get_finished_spans())

    await eventually(asked)
    every = spans.get_finished_spans()
    shown = json.dumps([dict(s.attributes or {}) for s in every] + [s.name for s in every])
    for word in (NAMED["contact"]["name"], NAMED["contact"]["email"], "Piet Jansen", "kleineert"):
        assert word not in shown
