"""Video rooms: a Jitsi room per appointment that nobody can guess, signed for a Jitsi with
token authentication, or the confidant's own room; a setting that would make dead links
stops the start."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from services.booking.domain.video import JitsiMeet, VideoSettingError
from services.booking.settings import BookingSettings
from shared.settings import SettingsError

END = datetime(2026, 12, 7, 11, tzinfo=UTC)
SECRET = "a secret of this installation's Jitsi, 32+ bytes"


def test_each_appointment_gets_a_jitsi_room_of_its_own_that_nobody_can_guess() -> None:
    jitsi = JitsiMeet("https://meet.jit.si/")
    rooms = {jitsi.room_for("a1", END, None) for _ in range(200)}
    assert len(rooms) == 200  # never the same twice, even for one appointment
    for room in rooms:
        assert room.startswith("https://meet.jit.si/vp-") and "?" not in room
        assert len(room.rsplit("vp-", 1)[1]) >= 21  # 128 bits, URL-safe base64


def test_a_jitsi_with_token_authentication_gets_a_token_for_that_room_only() -> None:
    jitsi = JitsiMeet("https://video.firm.nl/", "vertrouwd", SECRET)
    url = jitsi.room_for("a1", END, None)
    room, token = url.removeprefix("https://video.firm.nl/").split("?jwt=")
    claims = jwt.decode(
        token, SECRET, algorithms=["HS256"], audience="jitsi", options={"verify_exp": False}
    )
    assert claims["room"] == room and claims["iss"] == "vertrouwd"
    assert claims["sub"] == "video.firm.nl"
    assert claims["exp"] == int((END + timedelta(hours=2)).timestamp())


def test_the_confidants_own_room_is_used_as_it_is() -> None:
    own = "https://teams.microsoft.com/l/meetup-join/anna"
    assert JitsiMeet("https://meet.jit.si/").room_for("a1", END, own) == own


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({"BOOKING_JITSI_URL": "http://meet.jit.si/"}, "https"),
        ({"BOOKING_JITSI_URL": "https://meet.vertrouwd.example/"}, "serves no meetings"),
        ({"BOOKING_JITSI_APP_ID": "vertrouwd"}, "go together"),
    ],
)
def test_a_video_setting_that_makes_dead_links_stops_the_start(
    env: dict[str, str], says: str
) -> None:
    needed = {"BOOKING_DATA_KEYS_FILE": "/k.json", "BOOKING_JWKS_FILE": "/j.json"}
    assert BookingSettings.from_env(needed).video().base_url == "https://meet.jit.si/"
    with pytest.raises(SettingsError, match=f"booking cannot start, bad settings: .*{says}"):
        BookingSettings.from_env({**needed, **env})
    with pytest.raises(VideoSettingError):
        JitsiMeet(
            env.get("BOOKING_JITSI_URL", "https://meet.jit.si/"),
            env.get("BOOKING_JITSI_APP_ID", ""),
        )
