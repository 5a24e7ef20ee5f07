"""Reporting end to end: real events from intake and booking, a report made, reviewed,
published and read; access; replay; and no personal data anywhere in its database."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, get_args

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from pymongo import AsyncMongoClient

from deploy.stack.infra import Infra
from services.reporting.domain.projection import FIELDS
from services.reporting.rebuild import rebuild
from services.reporting.settings import ReportingSettings
from shared.event_schemas import ReferralKind
from tests.conftest import Isolation, StartService
from tests.polling import eventually
from tests.scene import bearer as bearer  # (imported from here by other tests)
from tests.scene import book, make_anna, make_org
from tests.services.booking.conftest import next_weekday_at
from tests.services.intake.conftest import NAMED, stream_events

Client = TestClient[web.Request, web.Application]
PII = ("Jan de Vries", "jan.devries@example.nl", "1234 5678", "Piet Jansen", "kleineert")


@pytest.fixture
async def world(start_service: StartService, token: Callable[..., str]) -> dict[str, Any]:
    """An organisation with twelve reports (some closed, some with a conversation)."""
    intake = await start_service("intake", INTAKE_CASE_RATE_LIMIT="1000")
    booking = await start_service("booking")
    reporting = await start_service("reporting", REPORTING_K="3", REPORTING_MIN_CASES="5")
    org = await make_org(intake, token, departments=["Zorg", "Staf"])
    await make_anna(booking, token, org["id"], modes=["online", "walk"])
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))
    categories = ["pesten"] * 6 + ["intimidatie"] * 4 + ["discriminatie"] * 2
    cases = []
    for i, category in enumerate(categories):
        answer = await intake.post(
            "/v1/cases",
            json={**NAMED, "organisation": org["slug"], "category": category},
        )
        assert answer.status == 201, await answer.text()
        cases.append(await answer.json())
        if i < 5:
            closed = await intake.patch(
                f"/v1/cases/{cases[-1]['case_id']}",
                headers=anna,
                json={"status": "closed", "outcome": "advice", "hours_spent": 1.5},
            )
            assert closed.status == 200, await closed.text()
    for i, case in enumerate(cases[:4]):
        start, mode = next_weekday_at(9 + i), "online" if i < 3 else "walk"
        await book(booking, bearer(case["token"]), start, mode=mode)
    return {"org": org, "reporting": reporting, "cases": cases, "intake": intake}


async def projected(reporting: Client, n: int) -> None:
    from services.reporting.state import REPORTING

    app = reporting.app
    assert app is not None
    db = app[REPORTING].db

    async def all_there() -> bool:
        found = await db["cases"].count_documents({"conversations": {"$ne": {}}})
        settled = await db["cases"].count_documents({"pending": {"$exists": True}}) == 0
        return await db["cases"].count_documents({}) == n and found == 4 and settled

    await eventually(all_there)


async def desk(
    world: dict[str, Any], token: Callable[..., str]
) -> tuple[Client, str, dict[str, str], dict[str, str]]:
    """The reporting service with the world's twelve cases projected, the organisation, and
    the headers of its confidant (Anna) and of its admin."""
    reporting: Client = world["reporting"]
    org = world["org"]["id"]
    await projected(reporting, 12)
    confidant = bearer(token("confidant", "reporting", orgs=[org], sub="c-anna"))
    return reporting, org, confidant, bearer(token("org_admin", "reporting", org_id=org))


async def test_a_report_is_made_reviewed_published_and_read(
    world: dict[str, Any], token: Callable[..., str], infra: Infra, isolation: Isolation
) -> None:
    reporting, org, confidant, org_admin = await desk(world, token)
    stranger = bearer(token("org_admin", "reporting", org_id="org-elders"))
    year = datetime.now(UTC).year
    made = await reporting.post(f"/v1/orgs/{org}/reports", headers=confidant, json={"year": year})
    assert made.status == 201, await made.text()
    report = await made.json()
    assert report["status"] == "draft" and report["totals"]["cases"] == 12
    cells = {t["dimension"]: t["cells"] for t in report["tables"]}
    # 6 bullying, 4 intimidation, 2 discrimination (< 3), 0 elsewhere, with k = 3.
    assert cells["category"]["discriminatie"] == "< 3"
    # Referrals by kind, every closed case in one cell ("none": not referred), so the
    # table is protected like any other.
    assert set(cells["referral"]) == {*get_args(ReferralKind), "none"}
    hidden = [v for v in cells["category"].values() if not isinstance(v, int)]
    assert len(hidden) >= 2, cells  # never one hidden cell alone under a known total
    # Four conversations, below the minimum of five: their total, and no breakdown.
    assert report["totals"]["conversations"] == 4 and "mode" not in cells
    assert report["hours"] == 7.5

    # An org_admin sees nothing of a draft; a stranger nothing at all.
    url = f"/v1/reports/{report['id']}"
    assert (await reporting.get(url, headers=org_admin)).status == 404
    assert (await reporting.get(url, headers=stranger)).status == 404
    assert (await reporting.get(f"/v1/orgs/{org}/reports", headers=stranger)).status == 403
    listed = await (await reporting.get(f"/v1/orgs/{org}/reports", headers=org_admin)).json()
    assert listed["items"] == []

    advice = await reporting.put(
        f"{url}/advice", headers=confidant, json={"nl": "Investeer in teamgesprekken."}
    )
    assert advice.status == 200
    assert (await reporting.post(f"{url}/publish", headers=org_admin)).status == 403
    published = await reporting.post(f"{url}/publish", headers=confidant)
    assert published.status == 200, await published.text()
    assert (await reporting.post(f"{url}/publish", headers=confidant)).status == 409

    seen = await reporting.get(url, headers=org_admin)
    assert seen.status == 200 and (await seen.json())["advice"]["nl"].startswith("Investeer")
    csv_text = await (await reporting.get(f"{url}?format=csv&lang=en", headers=org_admin)).text()
    assert "Bullying" in csv_text and "< 3" in csv_text
    html = await reporting.get(f"{url}?format=html", headers=org_admin)
    page = await html.text()
    assert "<svg" in page and "Pesten" in page
    assert not any(ref in page for ref in ("src=", "href=", "url(", "@import"))  # no requests
    assert "default-src 'none'" in html.headers["Content-Security-Policy"]
    pdf = await reporting.get(f"{url}?format=pdf", headers=org_admin)
    assert (await pdf.read()).startswith(b"%PDF")
    assert (await reporting.get(f"{url}?format=doc", headers=org_admin)).status == 422

    events = [
        e for e in await stream_events(infra, isolation) if e["type"].startswith("reporting.")
    ]
    assert [e["type"] for e in events] == ["reporting.report.ready"]
    assert events[0]["data"]["report_id"] == report["id"] and events[0]["org_id"] == org


async def test_the_projection_holds_no_personal_data_and_replay_rebuilds_it(
    world: dict[str, Any], service_env: dict[str, str], infra: Infra, isolation: Isolation
) -> None:
    await projected(world["reporting"], 12)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(infra.mongodb_uri)
    try:
        db = client[isolation.database("reporting")]
        # (rev, the version of the live document, is bookkeeping a replay starts afresh)
        live = {
            d["_id"]: {k: v for k, v in d.items() if k != "rev"} async for d in db["cases"].find({})
        }
        for doc in live.values():
            assert set(doc) <= FIELDS
        everything = [d for c in await db.list_collection_names() async for d in db[c].find({})]
        raw = json.dumps(everything, default=str)
        assert not any(word in raw for word in PII)

        # A replay before left more documents than SQLite takes variables in one statement
        # (32,766): emptying them in one delete failed on FerretDB; they are all replaced.
        leftover = [{"_id": f"old-{i}", "org_id": "gone"} for i in range(33_000)]
        for i in range(0, len(leftover), 1000):
            await db["cases_replay"].insert_many(leftover[i : i + 1000])
        settings = ReportingSettings.from_env(service_env)
        rebuilt = await rebuild(settings, collection="cases_replay", tallies="tallies_replay")
        indexed = [i["key"] async for i in await db["cases_replay"].list_indexes()]
        assert {"org_id": 1} in [dict(k) for k in indexed]  # its indexes made again
        assert rebuilt["cases"] == 12
        replayed = {d["_id"]: d async for d in db["cases_replay"].find({})}
        for case_id, doc in live.items():
            other = replayed.get(case_id) or {}
            differ = {
                k: (other.get(k), doc.get(k)) for k in {*other, *doc} if other.get(k) != doc.get(k)
            }
            assert not differ, (case_id, differ)
        assert replayed.keys() == live.keys()
        tallies = {t["_id"]: t["n"] async for t in db["tallies"].find({})}
        replayed_tallies = {t["_id"]: t["n"] async for t in db["tallies_replay"].find({})}
        assert tallies == replayed_tallies and tallies
    finally:
        await client.close()


async def test_unknown_periods_and_bad_input_are_refused_cleanly(
    world: dict[str, Any], token: Callable[..., str]
) -> None:
    reporting: Client = world["reporting"]
    org = world["org"]["id"]
    confidant = bearer(token("confidant", "reporting", orgs=[org], sub="c-anna"))
    other = bearer(token("confidant", "reporting", orgs=["org-elders"], sub="c-bram"))
    url = f"/v1/orgs/{org}/reports"
    assert (await reporting.post(url, headers=other, json={"year": 2026})).status == 403
    for body in (
        {},
        {"year": 1800},
        {"period_from": "2026-13", "period_to": "2026-12"},
        {"year": 2026, "period_from": "2026-01", "period_to": "2026-02"},
    ):
        answer = await reporting.post(url, headers=confidant, json=body)
        assert answer.status == 422, body
    backwards = await reporting.post(
        url, headers=confidant, json={"period_from": "2026-06", "period_to": "2026-01"}
    )
    assert backwards.status == 422
    assert (await reporting.get("/v1/reports/nope", headers=confidant)).status == 404
    future = await reporting.post(url, headers=confidant, json={"year": datetime.now(UTC).year + 1})
    assert future.status == 422
    admin = bearer(token("admin", "reporting"))
    unknown = await reporting.post(
        "/v1/orgs/org-nobody/reports", headers=admin, json={"year": 2026}
    )
    assert unknown.status == 404


async def test_signals_are_proposed_confirmed_and_only_then_told(
    world: dict[str, Any], token: Callable[..., str], infra: Infra, isolation: Isolation
) -> None:
    reporting, org, confidant, org_admin = await desk(world, token)
    proposed = await reporting.post(f"/v1/orgs/{org}/signals/propose", headers=confidant)
    assert proposed.status == 200
    items = (await proposed.json())["items"]
    rules = {(s["rule"], s["category"], s["department_index"]) for s in items}
    # Twelve reports from the department "Zorg" (index 0) and a rise of three categories
    # from nothing, each with at least k = 3 behind it; discrimination (2) stays below k.
    assert ("department_cluster", None, 0) in rules
    assert ("category_rise", "pesten", None) in rules
    assert ("category_rise", "discriminatie", None) not in rules
    again = await reporting.post(f"/v1/orgs/{org}/signals/propose", headers=confidant)
    assert (await again.json())["new"] == 0  # proposed once
    assert (await (await reporting.get(f"/v1/orgs/{org}/signals", headers=org_admin)).json())[
        "items"
    ] == []
    cluster = next(s for s in items if s["rule"] == "department_cluster")
    # Ids say nothing and cannot be guessed; who may not decide learns nothing from an id.
    assert org not in cluster["id"] and "cluster" not in cluster["id"]
    assert len({s["id"] for s in items}) == len(items)
    url = f"/v1/signals/{cluster['id']}/decision"
    guessed = f"/v1/signals/{org}-department_cluster-dept0-{cluster['window_end']}/decision"
    elsewhere = bearer(token("confidant", "reporting", orgs=["org-elsewhere"], sub="c-bram"))
    for headers, expected in (({}, 401), (org_admin, 403), (elsewhere, 404)):
        for probe in (url, guessed):
            answer = await reporting.post(probe, headers=headers, json={"decision": "raise"})
            assert answer.status == expected, (probe, headers)
    note = "Let op de werkdruk bij deze afdeling."
    raised = await reporting.post(url, headers=confidant, json={"decision": "raise", "note": note})
    assert raised.status == 200 and (await raised.json())["status"] == "raised"
    assert (await reporting.post(url, headers=confidant, json={"decision": "raise"})).status == 409
    visible = await (await reporting.get(f"/v1/orgs/{org}/signals", headers=org_admin)).json()
    assert [s["id"] for s in visible["items"]] == [cluster["id"]]
    assert visible["items"][0]["note"] == note  # the confidant's words reach the employer
    events = [
        e for e in await stream_events(infra, isolation) if e["type"].startswith("reporting.")
    ]
    assert [(e["type"], e["data"]["rule"]) for e in events] == [
        ("reporting.signal.raised", "department_cluster")
    ]


async def test_a_usage_statement_counts_what_is_invoiced(
    world: dict[str, Any], token: Callable[..., str]
) -> None:
    reporting, org, confidant, _ = await desk(world, token)
    year = datetime.now(UTC).year
    made = await reporting.post(
        f"/v1/orgs/{org}/reports", headers=confidant, json={"kind": "usage", "year": year}
    )
    assert made.status == 201, await made.text()
    usage = await made.json()
    assert usage["totals"] == {"cases": 12, "conversations": 4}
    assert usage["hours"] == 7.5 and usage["tables"] == []  # four conversations: no breakdown


async def test_a_tally_change_left_half_done_by_a_crash_is_finished_once(
    world: dict[str, Any], infra: Infra, isolation: Isolation
) -> None:
    from services.reporting.api.consumer import apply_pending
    from services.reporting.state import REPORTING
    from services.reporting.store.documents import cases

    reporting: Client = world["reporting"]
    await projected(reporting, 12)
    app = reporting.app
    assert app is not None
    r = app[REPORTING]
    case = await r.db["cases"].find_one({"category": "discriminatie"})
    assert case is not None
    key = f"{world['org']['id']}|{case['opened']}"
    found = await r.db["tallies"].find_one({"_id": key})
    assert found is not None
    before = found["n"]
    # A change staged on the case, as a process that died right after writing it leaves it.
    staged = {"id": "e" * 32, "diff": [{"m": case["opened"], "k": "cases||", "v": 1.0}]}
    await r.db["cases"].update_one({"_id": case["_id"]}, {"$set": {"pending": staged}})
    doc = await cases(r.db).find_one({"_id": case["_id"]})
    assert doc is not None
    await apply_pending(r, doc)
    await apply_pending(r, doc)  # and again, as a redelivery would: counted once
    found = await r.db["tallies"].find_one({"_id": key})
    assert found is not None
    after = found["n"]
    assert after["cases||"] == before["cases||"] + 1
    left = await r.db["cases"].find_one({"_id": case["_id"]})
    assert left is not None and "pending" not in left


async def test_the_schedule_proposes_signals_and_drafts_last_years_report_by_itself(
    world: dict[str, Any], token: Callable[..., str], infra: Infra, isolation: Isolation
) -> None:
    from services.reporting.domain import schedule
    from services.reporting.state import REPORTING

    reporting, org, confidant, _ = await desk(world, token)
    app = reporting.app
    assert app is not None
    r = app[REPORTING]
    # Nobody pressed a button: the schedule finds the trend (twelve reports this month).
    ran = await schedule.run(r)
    assert ran["signals"] >= 1
    listed = await (await reporting.get(f"/v1/orgs/{org}/signals", headers=confidant)).json()
    assert {s["rule"] for s in listed["items"]} >= {"category_rise"}
    assert (await schedule.run(r))["signals"] == 0  # once a day, however often it runs
    # A year on, last year's yearly report is drafted once, and its confidants are told.
    next_year = datetime.now(UTC).replace(month=3, day=1) + timedelta(days=366)
    assert (await schedule.run(r, next_year))["drafted"] == 1
    assert (await schedule.run(r, next_year))["drafted"] == 0
    drafts = await (await reporting.get(f"/v1/orgs/{org}/reports", headers=confidant)).json()
    yearly = [d for d in drafts["items"] if d["status"] == "draft" and d["kind"] == "yearly"]
    assert len(yearly) == 1 and yearly[0]["totals"]["cases"] == 12

    async def told() -> bool:
        events = await stream_events(infra, isolation)
        return any(e["type"] == "reporting.report.drafted" for e in events)

    await eventually(told)
    # The client's cycle: the contract's evaluation day reminds the office, once.
    from tests.services.reporting.test_invoices import CONTRACT

    office = bearer(token("admin", "reporting"))
    soon = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    terms = {**CONTRACT, "evaluate_on": soon}
    assert (
        await reporting.put(f"/v1/orgs/{org}/contract", headers=office, json=terms)
    ).status == 200
    assert (await schedule.run(r))["evaluations"] == 0  # not yet
    later = datetime.now(UTC) + timedelta(days=11)
    assert (await schedule.run(r, later))["evaluations"] == 1
    assert (await schedule.run(r, later))["evaluations"] == 0
    contract = await (await reporting.get(f"/v1/orgs/{org}/contract", headers=office)).json()
    assert contract["evaluate_on"] == soon  # the contract reads as it was written

    async def evaluation_told() -> bool:
        events = await stream_events(infra, isolation)
        return any(e["type"] == "reporting.contract.evaluation_due" for e in events)

    await eventually(evaluation_told)


async def test_a_confidant_writes_a_signal_of_her_own_under_the_same_rules(
    world: dict[str, Any], token: Callable[..., str]
) -> None:
    reporting, org, confidant, org_admin = await desk(world, token)
    today = datetime.now(UTC).date()
    window = {
        "window_start": (today - timedelta(days=30)).isoformat(),
        "window_end": today.isoformat(),
    }
    path = f"/v1/orgs/{org}/signals"
    # Two reports about discrimination: fewer than k = 3, a signal could point at them.
    few = await reporting.post(
        path, headers=confidant, json={"category": "discriminatie", **window}
    )
    assert few.status == 409 and (await few.json())["error"]["code"] == "too_few_reports"
    for wrong in (
        {**window},  # about nothing
        {"category": "pesten", "department_index": 0, **window},  # about two things
        {
            "category": "pesten",
            "window_start": window["window_end"],
            "window_end": window["window_start"],
        },
        {"category": "astrologie", **window},
    ):
        assert (await reporting.post(path, headers=confidant, json=wrong)).status == 422
    assert (
        await reporting.post(path, headers=org_admin, json={"category": "pesten", **window})
    ).status == 403
    made = await reporting.post(path, headers=confidant, json={"category": "pesten", **window})
    assert made.status == 201, await made.text()
    signal = await made.json()
    assert signal["status"] == "proposed" and signal["rule"] == "confidant"
    # The organisation sees it only once raised, like the rules' signals.
    seen = await (await reporting.get(path, headers=org_admin)).json()
    assert signal["id"] not in {s["id"] for s in seen["items"]}
    raised = await reporting.post(
        f"/v1/signals/{signal['id']}/decision",
        headers=confidant,
        json={"decision": "raise", "note": "Meer meldingen over pesten: bespreek het in het MT."},
    )
    assert raised.status == 200, await raised.text()
    seen = await (await reporting.get(path, headers=org_admin)).json()
    assert signal["id"] in {s["id"] for s in seen["items"]}
