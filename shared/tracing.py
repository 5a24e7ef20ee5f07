"""Tracing across the services: W3C trace context in HTTP and NATS headers, spans from the
OpenTelemetry SDK, exported over OTLP when ``OTEL_EXPORTER_OTLP_ENDPOINT`` is set and not
at all otherwise (the API's no-op tracer then costs next to nothing).

Spans carry routes, event types and ids: never a path with ids of people, a query string,
a body or an address (the same rule as the logs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from opentelemetry import propagate, trace
from opentelemetry.context import Context


def tracer(service: str) -> trace.Tracer:
    """The service's tracer: its spans are told apart by this name."""
    return trace.get_tracer(f"vertrouwd.{service}")


def setup(service: str, endpoint: str) -> None:
    """Export this process's spans to an OTLP/HTTP collector at ``endpoint``; nothing when
    it is empty (tracing off, the default)."""
    if not endpoint:
        return
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": f"vertrouwd-{service}"}))
    exporter = OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")
    provider.add_span_processor(BatchSpanProcessor(exporter))
    trace.set_tracer_provider(provider)


def carrier(headers: dict[str, str] | None = None) -> dict[str, str]:
    """``headers`` with the current trace context added (``traceparent``, ``tracestate``)."""
    found = dict(headers or {})
    propagate.inject(found)
    return found


def context_of(headers: Mapping[str, Any] | None) -> Context:
    """The trace context a caller sent along, if any."""
    return propagate.extract(dict(headers or {}))
