"""Prometheus metrics, one registry per application (so tests can build many apps)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

CONTENT_TYPE = CONTENT_TYPE_LATEST


class Metrics:
    def __init__(self, service: str) -> None:
        self.registry = CollectorRegistry()
        self.service = service
        self.http_requests = Counter(
            "http_requests",
            "HTTP requests answered.",
            ["method", "route", "status"],
            registry=self.registry,
        ).labels
        self.http_latency = Histogram(
            "http_request_duration_seconds",
            "Time to answer an HTTP request.",
            ["method", "route"],
            registry=self.registry,
        ).labels
        self.events_published = Counter(
            "events_published",
            "Events published to JetStream.",
            ["type"],
            registry=self.registry,
        ).labels
        self.events_handled = Counter(
            "events_handled",
            "Events taken from a durable consumer, by outcome.",
            ["consumer", "outcome"],
            registry=self.registry,
        ).labels

    def render(self) -> bytes:
        return generate_latest(self.registry)
