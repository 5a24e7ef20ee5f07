"""The filters our FerretDB build pushes down (deploy/ferretdb-pushdown.patch) answer what
MongoDB answers: an equality with a string selects by the field's index, and an array that
contains the value, a value of another type, a missing field and the other filters still
come out as the query language says (the pushed-down part may only ever be a superset)."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import ASCENDING, IndexModel

from deploy.stack.infra import Infra
from shared.db import Mongo
from tests.conftest import Isolation


async def test_an_equality_is_a_superset_that_is_filtered_again(
    infra: Infra, isolation: Isolation
) -> None:
    m = Mongo(infra.mongodb_uri, isolation.database("pushdown"))
    things = m.db["things"]
    await m.ensure_indexes({"things": [IndexModel([("tag", ASCENDING), ("n", ASCENDING)])]})
    docs: list[dict[str, Any]] = [
        {"_id": "a", "tag": "x", "n": 1},
        {"_id": "b", "tag": ["y", "x"], "n": 2},  # an array that contains it
        {"_id": "c", "tag": [], "n": 3},  # an empty array
        {"_id": "d", "tag": "X", "n": 4},  # another case: not equal
        {"_id": "e", "tag": {"v": "x"}, "n": 5},  # a subdocument: not equal
        {"_id": "f", "n": 6},  # no tag at all
        {"_id": "g", "tag": "x y", "n": 7},
        {"_id": "h", "tag": ["z"], "n": 8},
        {"_id": "i", "tag": 'it\'s "quoted" & <odd>', "n": 9},
        {"_id": "j", "tag": "é", "n": 10},
    ]
    await things.insert_many(docs)

    async def ids(query: dict[str, Any]) -> list[str]:
        return sorted([str(d["_id"]) async for d in things.find(query)])

    try:
        assert await ids({"tag": "x"}) == ["a", "b"]
        assert await ids({"tag": "x", "n": 2}) == ["b"]  # the rest filtered in memory
        assert await ids({"tag": "z"}) == ["h"]
        assert await ids({"tag": "nothing"}) == []
        assert await ids({"tag": 'it\'s "quoted" & <odd>'}) == ["i"]
        assert await ids({"tag": "é"}) == ["j"]
        assert await ids({"_id": "d", "tag": "X"}) == ["d"]
        assert await ids({"tag": {"$ne": "x"}}) == ["c", "d", "e", "f", "g", "h", "i", "j"]
        assert await ids({"tag": "x", "$or": [{"n": 1}, {"n": 2}]}) == ["a", "b"]
        assert await things.count_documents({"tag": "x"}) == 2
        changed = await things.update_many({"tag": "x"}, {"$set": {"seen": True}})
        assert changed.matched_count == 2
        assert await ids({"seen": True}) == ["a", "b"]
    finally:
        await m.client.drop_database(isolation.database("pushdown"))
        await m.close()


async def test_the_build_pushes_an_equality_down(infra: Infra, isolation: Isolation) -> None:
    """FerretDB's own explain says whether the filter went to the engine (on MongoDB the
    planner's answer has another shape: there is nothing of ours to check)."""
    m = Mongo(infra.mongodb_uri, isolation.database("pushed"))
    try:
        await m.db["things"].insert_one({"_id": "a", "tag": "x"})
        plan = await m.db["things"].find({"tag": "x"}).explain()
        if "filterPushdown" not in plan:
            pytest.skip("not FerretDB: MongoDB's planner answers in another shape")
        assert plan["filterPushdown"] is True
        unpushed = await m.db["things"].find({"n": {"$gt": 1}}).explain()
        assert unpushed["filterPushdown"] is False  # a range: read, then filtered in memory
    finally:
        await m.client.drop_database(isolation.database("pushed"))
        await m.close()
