from __future__ import annotations

import asyncio
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nats

from deploy.stack.infra import Infra
from services.intake.api.contact import SUBJECT
from services.intake.rotate import rotate
from services.intake.settings import IntakeSettings
from shared.crypto import DataKeys, FieldCipher
from tests.conftest import Isolation, Keys, StartService
from tests.services.intake.conftest import NAMED, Desk, bearer, report, state


async def ask(infra: Infra, isolation: Isolation, request: dict[str, Any]) -> dict[str, Any]:
    nc = await nats.connect(infra.nats_url)
    try:
        reply = await nc.request(
            f"{isolation.subject_prefix}{SUBJECT}", json.dumps(request).encode(), timeout=5
        )
        answer: dict[str, Any] = json.loads(reply.data)
        return answer
    finally:
        await nc.close()


async def test_contact_lookup_answers_notify_only_and_only_what_a_send_needs(desk: Desk) -> None:
    named = await desk.report()
    anonymous = await desk.report(anonymous=True, contact=None)
    notify = desk.token("service", "intake", sub="notify")

    answer = await ask(
        desk.infra,
        desk.isolation,
        {"token": notify, "case_id": named["case_id"], "channel": "email"},
    )
    assert answer == {
        "ok": True,
        "contact": {"email": "jan.devries@example.nl", "name": "Jan de Vries", "locale": "nl"},
    }
    phone = await ask(
        desk.infra,
        desk.isolation,
        {"token": notify, "case_id": named["case_id"], "channel": "phone"},
    )
    assert phone["contact"]["phone"] == "+31612345678" and "email" not in phone["contact"]
    assert await ask(
        desk.infra,
        desk.isolation,
        {"token": notify, "case_id": anonymous["case_id"], "channel": "email"},
    ) == {"ok": False, "error": "no_contact"}
    for who in (
        desk.token("service", "intake", sub="reporting"),
        desk.token("admin", "intake"),
        desk.token("service", "booking", sub="notify"),
        "garbage",
    ):
        answer = await ask(
            desk.infra,
            desk.isolation,
            {"token": who, "case_id": named["case_id"], "channel": "email"},
        )
        assert answer["ok"] is False and answer["error"] in ("forbidden", "unauthorized")
    assert (
        await ask(
            desk.infra,
            desk.isolation,
            {"token": notify, "case_id": named["case_id"], "channel": "pigeon"},
        )
    )["error"] == "bad_request"


async def test_rotating_the_data_key_re_encrypts_everything(
    start_service: StartService,
    service_env: dict[str, str],
    keys: Keys,
    tmp_path: Path,
    token: Callable[..., str],
) -> None:
    # A key file of this test's own, so the rotation does not touch other tests' keys.
    key_file = tmp_path / "data-keys.json"
    await asyncio.to_thread(shutil.copyfile, keys.secrets_env["INTAKE_DATA_KEYS_FILE"], key_file)
    intake = await start_service("intake", INTAKE_DATA_KEYS_FILE=str(key_file))
    org = await (
        await intake.post(
            "/v1/orgs",
            headers=bearer(token("admin", "intake")),
            json={
                "name": "O",
                "slug": "o-org",
                "confidant_ids": ["c-anna"],
                "departments": ["Zorg"],
            },
        )
    ).json()
    case = await report(intake, org)
    anna = bearer(token("confidant", "intake", orgs=[org["id"]], sub="c-anna"))
    await intake.post(f"/v1/cases/{case['case_id']}/notes", headers=anna, json={"text": "n1"})
    old_kid = DataKeys.load(key_file).current

    settings = IntakeSettings.from_env({**service_env, "INTAKE_DATA_KEYS_FILE": str(key_file)})
    new_kid, count = await rotate(settings)
    assert new_kid != old_kid and count == 5  # text, name, e-mail, phone, the note

    db = state(intake).db
    raw = await db["cases"].find_one({"_id": case["case_id"]})
    assert raw is not None
    assert {raw["text"]["k"], raw["contact"]["email"]["k"]} == {new_kid}
    cipher = FieldCipher(DataKeys.load(key_file))
    assert cipher.open(raw["text"], doc_id=case["case_id"], field="text") == NAMED["text"]
    assert (await rotate(settings))[1] == 5  # a second rotation moves them all again
