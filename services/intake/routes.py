"""Intake's HTTP API: organisations, staff and login; cases and the work on them."""

from __future__ import annotations

from . import api_cases, api_orgs

ENDPOINTS = [*api_orgs.ENDPOINTS, *api_cases.ENDPOINTS]
