"""The one list answer, ``{"items", "next"}`` with ``?limit=`` and ``?cursor=``: keyset pages
through a real endpoint (booking's appointment types) on the real database, and the cursor
refused when it is not one the list gave."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.conftest import StartService


async def test_pages_walk_a_list_once_whatever_comes_or_goes_between(
    start_service: StartService, token: Callable[..., str]
) -> None:
    booking = await start_service("booking")
    admin = {"Authorization": f"Bearer {token('admin', 'booking')}"}

    async def make(type_id: str) -> None:
        made = await booking.post(
            "/v1/appointment-types",
            headers=admin,
            json={
                "id": type_id,
                "name": {"nl": type_id, "en": type_id},
                "duration_min": 60,
                "modes": ["online"],
            },
        )
        assert made.status == 201, await made.text()

    async def page(query: str) -> dict[str, Any]:
        answer = await booking.get(f"/v1/appointment-types?{query}", headers=admin)
        assert answer.status == 200, await answer.text()
        found: dict[str, Any] = await answer.json()
        assert set(found) == {"items", "next"}
        return found

    for type_id in ("b", "d", "f", "h", "j"):
        await make(type_id)
    first = await page("limit=2")
    assert [t["id"] for t in first["items"]] == ["b", "d"] and first["next"]
    # Added before the cursor: not shown; after it: shown, in its place.
    await make("a")
    await make("e")
    second = await page(f"limit=2&cursor={first['next']}")
    assert [t["id"] for t in second["items"]] == ["e", "f"]
    third = await page(f"limit=2&cursor={second['next']}")
    assert [t["id"] for t in third["items"]] == ["h", "j"] and third["next"] is None
    everything = await page("limit=1000")
    assert [t["id"] for t in everything["items"]] == ["a", "b", "d", "e", "f", "h", "j"]
    assert everything["next"] is None

    for query, field in (
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=twee", "limit"),
        ("cursor=niet-van-ons", "cursor"),
        ("cursor=WyJ2IiwgWzFdLCAiYSJd", "cursor"),  # JSON, but not of the shape given
    ):
        refused = await booking.get(f"/v1/appointment-types?{query}", headers=admin)
        assert refused.status == 422, query
        assert field in (await refused.json())["error"]["fields"]
