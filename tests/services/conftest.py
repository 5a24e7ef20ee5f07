"""Fixtures for the tests that span the services."""

from tests.services.world import world

__all__ = ["world"]
