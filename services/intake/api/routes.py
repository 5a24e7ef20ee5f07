"""Intake's HTTP API: organisations, staff and login; cases and the work on them; channels."""

from __future__ import annotations

from services.intake.api import case_texts as api_case_texts
from services.intake.api import cases as api_cases
from services.intake.api import channels as api_channels
from services.intake.api import keys as api_keys
from services.intake.api import orgs as api_orgs
from services.intake.api import second_factor as api_second_factor

ENDPOINTS = [
    *api_orgs.ENDPOINTS,
    *api_cases.ENDPOINTS,
    *api_case_texts.ENDPOINTS,
    *api_channels.ENDPOINTS,
    *api_keys.ENDPOINTS,
    *api_second_factor.ENDPOINTS,
]
