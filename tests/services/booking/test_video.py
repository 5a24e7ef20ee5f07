"""Video rooms: an unguessable room per appointment on the configured base."""

from __future__ import annotations

from services.booking.domain.video import RoomUrlProvider


def test_each_appointment_gets_a_room_of_its_own_that_nobody_can_guess() -> None:
    provider = RoomUrlProvider("https://meet.example.nl/rooms")
    rooms = {provider.room_for("a1") for _ in range(200)}
    assert len(rooms) == 200  # never the same twice, even for one appointment
    for room in rooms:
        assert room.startswith("https://meet.example.nl/rooms/vp-")
        assert len(room.rsplit("vp-", 1)[1]) >= 21  # 128 bits, URL-safe base64
