from __future__ import annotations

import subprocess
import sys

import pytest

from services.booking.settings import BookingSettings
from services.intake.settings import IntakeSettings
from services.reporting.settings import ReportingSettings
from shared.settings import SettingsError

BASE = {"JWKS_FILE": "/keys/jwks.json", "BOOKING_DATA_KEYS_FILE": "/keys/booking.json"}


def test_defaults_and_database_per_service() -> None:
    reporting = ReportingSettings.from_env(BASE)
    booking = BookingSettings.from_env(BASE)
    assert reporting.http_port == 8084 and booking.http_port == 8082
    assert reporting.database_name == "vertrouwd_reporting"
    assert booking.database_name == "vertrouwd_booking"


def test_prefixed_variable_wins_over_the_suite_wide_one() -> None:
    env = {**BASE, "MONGODB_URI": "mongodb://shared/", "REPORTING_MONGODB_URI": "mongodb://own/"}
    assert ReportingSettings.from_env(env).mongodb_uri == "mongodb://own/"
    assert BookingSettings.from_env(env).mongodb_uri == "mongodb://shared/"


def test_lists_are_comma_separated() -> None:
    settings = ReportingSettings.from_env({**BASE, "RETRY_BACKOFF": "0.5, 2,10"})
    assert settings.retry_backoff == (0.5, 2.0, 10.0)


def test_a_missing_value_names_its_variable() -> None:
    with pytest.raises(SettingsError, match=r"INTAKE_JWKS_FILE: missing"):
        IntakeSettings.from_env({})


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"INTAKE_PORT": "eighty"}, "INTAKE_PORT"),
        ({"INTAKE_PORT": "70000"}, "INTAKE_PORT"),
        ({"MAX_DELIVER": "0"}, "MAX_DELIVER"),
        ({"NATS_SUBJECT_PREFIX": "No Spaces"}, "NATS_SUBJECT_PREFIX"),
        ({"RETRY_BACKOFF": "soon"}, "RETRY_BACKOFF"),
        ({"LOG_LEVEL": "LOUD"}, "LOG_LEVEL"),
    ],
)
def test_a_bad_value_names_its_variable(env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError) as caught:
        IntakeSettings.from_env({**BASE, **env})
    assert str(caught.value).startswith("intake cannot start, bad settings: ")
    assert f"{named}:" in str(caught.value)


def test_env_names_cover_prefix_and_shared() -> None:
    assert IntakeSettings.env_names("port") == ["INTAKE_PORT"]
    assert IntakeSettings.env_names("nats_url") == ["INTAKE_NATS_URL", "NATS_URL"]


def test_service_refuses_to_start_with_bad_settings() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "services.notify"],
        env={"PATH": "/usr/bin:/bin", "NOTIFY_PORT": "x"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "NOTIFY_PORT:" in result.stderr and "NOTIFY_JWKS_FILE: missing" in result.stderr
