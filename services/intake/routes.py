"""Intake's HTTP API: organisations, staff and login; cases and the work on them; channels."""

from __future__ import annotations

from . import api_case_texts, api_cases, api_channels, api_orgs

ENDPOINTS = [
    *api_orgs.ENDPOINTS,
    *api_cases.ENDPOINTS,
    *api_case_texts.ENDPOINTS,
    *api_channels.ENDPOINTS,
]
