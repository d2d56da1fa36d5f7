"""Gate scans: POST /api/v1/gate/scans, /id-card and /offline."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.security import b64url_decode
from healthcode import keys, scans
from healthcode.clock import clock
from tests.app.portal import concurrently, db_fetch, in_app
from tests.healthcode.conftest import declared, fresh_code, scan
from tests.helpers import Api, new_id_number, problem

SCANS = "/api/v1/gate/scans"
SCAN_FIELDS = {"scan_id", "result", "colour", "name_masked", "reason", "scanned_at"}


async def override(api: Api, citizen_id: str, colour: str) -> None:
    admin = await api.admin()
    response = await api.client.post(
        "/api/v1/admin/healthcode/overrides",
        json={"citizen_id": citizen_id, "colour": colour, "reason": "测试"},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text


def jti_of(code: str) -> str:
    payload = code.removeprefix("CB1:").split(".")[1]
    jti: str = json.loads(b64url_decode(payload))["jti"]
    return jti


async def record(api: Api, scan_id: str) -> dict[str, Any] | None:
    rows = await db_fetch(api.client, "SELECT * FROM hc_scan WHERE id = {}", scan_id)
    return rows[0] if rows else None


class TestScanCode:
    async def test_green_passes_and_the_gate_sees_only_colour_name_and_time(self, api: Api) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate("metro")
        body = await scan(api, gate, await fresh_code(api, citizen))
        assert set(body) == SCAN_FIELDS
        assert (body["result"], body["colour"], body["name_masked"], body["reason"]) == (
            "pass",
            "green",
            "张*",
            None,
        )
        stored = await record(api, body["scan_id"])  # answered only once committed
        assert stored is not None
        assert (stored["venue_id"], stored["gate_id"], stored["citizen_id"]) == (
            gate.venue_id,
            gate.gate_id,
            citizen.id,
        )
        assert citizen.phone not in str(body) and str(citizen.id_number) not in str(body)

    @pytest.mark.parametrize(
        ("declaration", "reason"),
        [({"symptoms": ["cough"]}, "colour_yellow"), ({"close_contact": True}, "colour_red")],
    )
    async def test_default_policy_admits_green_only(
        self, api: Api, declaration: dict[str, Any], reason: str
    ) -> None:
        citizen, status = await declared(api, **declaration)
        gate = await api.gate("mall")
        body = await scan(api, gate, status["code"])
        assert (body["result"], body["reason"], body["colour"]) == (
            "deny",
            reason,
            status["colour"],
        )

    async def test_a_hospital_admits_every_colour_and_shows_it(self, api: Api) -> None:
        citizen, status = await declared(api, close_contact=True)
        gate = await api.gate("hospital")
        body = await scan(api, gate, status["code"])
        assert (body["result"], body["colour"], body["reason"]) == ("pass", "red", None)

    async def test_a_venue_policy_is_applied(self, api: Api) -> None:
        venue = await api.venue("office", admission=["green", "yellow"])
        gate = await api.gate(venue=venue)
        yellow, status = await declared(api, symptoms=["fatigue"])
        assert (await scan(api, gate, status["code"]))["result"] == "pass"
        red, status = await declared(api, close_contact=True)
        assert (await scan(api, gate, status["code"]))["reason"] == "colour_red"

    async def test_the_colour_now_decides_not_the_colour_in_the_code(self, api: Api) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate()
        green_code = await fresh_code(api, citizen)
        await override(api, citizen.id, "red")
        body = await scan(api, gate, green_code)
        assert (body["result"], body["reason"], body["colour"]) == ("deny", "colour_red", "red")

    async def test_a_code_used_at_another_venue_is_a_replay(self, api: Api) -> None:
        citizen, _ = await declared(api)
        first, second = await api.gate("metro"), await api.gate("park")
        code = await fresh_code(api, citizen)
        assert (await scan(api, first, code))["result"] == "pass"
        assert (await scan(api, first, code))["result"] == "pass"  # the same venue again
        replay = await scan(api, second, code)
        assert (replay["result"], replay["reason"]) == ("deny", "code_replayed")
        assert replay["colour"] is None and replay["name_masked"] is None
        stored = await record(api, replay["scan_id"])
        assert stored is not None and stored["flagged"]

    async def test_a_code_another_process_claimed_first_is_a_replay(self, api: Api) -> None:
        """Another app process scanned the code at another venue and has not committed its
        record yet: no scan row, nothing in this process's memory, only the claim."""
        citizen, _ = await declared(api)
        gate, elsewhere = await api.gate("metro"), await api.gate("park")
        code = await fresh_code(api, citizen)
        jti = jti_of(code)
        await db_fetch(
            api.client,
            "INSERT INTO hc_code_use (jti, venue_id, seen_at) VALUES ({}, {}, {})",
            jti,
            elsewhere.venue_id,
            clock.now(),
        )
        replay = await scan(api, gate, code)
        assert (replay["result"], replay["reason"]) == ("deny", "code_replayed")
        assert replay["colour"] is None and replay["name_masked"] is None
        stored = await record(api, replay["scan_id"])
        assert stored is not None and stored["flagged"] and stored["result"] == "deny"
        assert stored["reason"] == "code_replayed"
        # Once replayed anywhere, the code passes nowhere (as with a committed replay).
        assert (await scan(api, elsewhere, code))["reason"] == "code_replayed"

    async def test_concurrent_scans_at_two_venues_let_one_through(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        citizen, _ = await declared(api)
        first, second = await api.gate("metro"), await api.gate("park")
        code = await fresh_code(api, citizen)
        # As if each gate reached a different process: no shared memory of recent codes.
        monkeypatch.setattr(scans, "_remember_jti", lambda jti, venue_id: None)
        responses = await concurrently(
            api.client,
            [
                {"method": "POST", "url": SCANS, "json": {"code": code}, "headers": g.headers}
                for g in (first, second)
            ],
        )
        results = sorted(r.json()["result"] for r in responses)
        assert results == ["deny", "pass"]
        [owner] = await db_fetch(
            api.client, "SELECT venue_id FROM hc_code_use WHERE jti = {}", jti_of(code)
        )
        passed = first if responses[0].json()["result"] == "pass" else second
        assert owner["venue_id"] == passed.venue_id

    async def test_concurrent_scans_are_all_committed(self, api: Api) -> None:
        gate = await api.gate()
        people = [await declared(api) for _ in range(12)]
        codes = [await fresh_code(api, citizen) for citizen, _ in people]
        commits, written = scans.writer.commits, scans.writer.written
        responses = await concurrently(
            api.client,
            [
                {"method": "POST", "url": SCANS, "json": {"code": code}, "headers": gate.headers}
                for code in codes
            ],
        )
        answers = [r.json() for r in responses]
        assert all(a["result"] == "pass" for a in answers)
        ids = [a["scan_id"] for a in answers]
        marks = ", ".join(["{}"] * len(ids))
        rows = await db_fetch(api.client, f"SELECT id FROM hc_scan WHERE id IN ({marks})", *ids)
        assert len(rows) == len(ids)
        assert scans.writer.written - written == len(ids)
        assert scans.writer.commits - commits < len(ids)  # grouped: fewer commits than scans

    async def test_an_idempotency_key_replays_the_first_answer(self, api: Api) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate()
        body = {"code": await fresh_code(api, citizen)}
        headers = {**gate.headers, "Idempotency-Key": str(uuid.uuid4())}
        first = await api.client.post(SCANS, json=body, headers=headers)
        again = await api.client.post(SCANS, json=body, headers=headers)
        assert first.status_code == again.status_code == 200
        assert again.headers.get("idempotent-replayed") == "true"
        assert again.json() == first.json()
        other = await api.client.post(SCANS, json={"code": "x"}, headers=headers)
        problem(other, 422, "idempotency_key_reused")

    async def test_refused_callers(self, api: Api) -> None:
        citizen, status = await declared(api)
        problem(await api.client.post(SCANS, json={"code": status["code"]}), 401, "unauthorized")
        response = await api.client.post(
            SCANS, json={"code": status["code"]}, headers=citizen.headers
        )
        problem(response, 401, "unauthorized")

    async def test_bad_input(self, api: Api) -> None:
        gate = await api.gate()
        problem(
            await api.client.post(SCANS, json={}, headers=gate.headers), 422, "validation_error"
        )
        response = await api.client.post(
            SCANS, content=b"{", headers={**gate.headers, "Content-Type": "application/json"}
        )
        problem(response, 400, "malformed_request")


class TestIdCard:
    async def test_a_known_card_passes_by_colour(self, api: Api) -> None:
        citizen, _ = await declared(api)
        gate = await api.gate()
        response = await api.client.post(
            f"{SCANS}/id-card", json={"id_number": citizen.id_number}, headers=gate.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["result"], body["colour"], body["name_masked"]) == ("pass", "green", "张*")
        assert str(citizen.id_number) not in response.text
        stored = await record(api, body["scan_id"])
        assert stored is not None and stored["source"] == "id_card"

    @pytest.mark.parametrize("kind", ["unknown", "never_declared", "not_an_id"])
    async def test_unknown_people_are_denied(self, api: Api, kind: str) -> None:
        gate = await api.gate()
        if kind == "never_declared":
            number = str((await api.citizen()).id_number)
        else:
            number = new_id_number("110101") if kind == "unknown" else "12345"
        response = await api.client.post(
            f"{SCANS}/id-card", json={"id_number": number}, headers=gate.headers
        )
        assert response.status_code == 200
        body = response.json()
        assert (body["result"], body["reason"], body["colour"], body["name_masked"]) == (
            "deny",
            "unknown_person",
            None,
            None,
        )
        assert number not in response.text

    async def test_refused_callers_and_bad_input(self, api: Api) -> None:
        citizen, _ = await declared(api)
        body = {"id_number": citizen.id_number}
        problem(await api.client.post(f"{SCANS}/id-card", json=body), 401, "unauthorized")
        response = await api.client.post(f"{SCANS}/id-card", json=body, headers=citizen.headers)
        problem(response, 401, "unauthorized")
        gate = await api.gate()
        response = await api.client.post(f"{SCANS}/id-card", json={}, headers=gate.headers)
        problem(response, 422, "validation_error")


def item(
    code: str, *, result: str = "pass", at: datetime | None = None, **extra: Any
) -> dict[str, Any]:
    return {
        "scan_id": str(uuid.uuid4()),
        "code": code,
        "scanned_at": (at or clock.now()).isoformat(),
        "result": result,
        **extra,
    }


class TestOffline:
    async def test_a_batch_is_recorded_once(self, api: Api) -> None:
        gate = await api.gate()
        people = [await declared(api) for _ in range(3)]
        batch = [item(await fresh_code(api, citizen)) for citizen, _ in people]
        response = await api.client.post(
            f"{SCANS}/offline", json={"scans": batch}, headers=gate.headers
        )
        assert response.status_code == 200, response.text
        assert response.json() == {"accepted": 3, "duplicates": 0, "rejected": []}
        again = await api.client.post(
            f"{SCANS}/offline", json={"scans": batch}, headers=gate.headers
        )
        assert again.json() == {"accepted": 0, "duplicates": 3, "rejected": []}
        stored = await record(api, batch[0]["scan_id"])
        assert stored is not None
        assert (stored["source"], stored["citizen_id"]) == ("offline", people[0][0].id)

    async def test_one_bad_item_is_rejected_alone(self, api: Api) -> None:
        gate = await api.gate()
        citizen, _ = await declared(api)
        code = await fresh_code(api, citizen)
        good = item(code)
        old = clock.now() - timedelta(minutes=10)
        bad: list[Any] = [
            item("CB1:forged"),
            item(code, at=old),  # scanned outside the code's lifetime
            {**item(code), "scan_id": "not-a-uuid"},
            {**item(code), "result": "maybe"},
            {**item(code), "scanned_at": "yesterday"},
            {"scan_id": str(uuid.uuid4())},
            "not an object",
            item(code, at=datetime.now(UTC) + timedelta(days=1)),
        ]
        response = await api.client.post(
            f"{SCANS}/offline", json={"scans": [good, *bad]}, headers=gate.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["accepted"], body["duplicates"], len(body["rejected"])) == (1, 0, len(bad))
        reasons = [r["reason"] for r in body["rejected"]]
        assert reasons[:2] == ["code_invalid", "code_expired"]
        assert reasons[2:7] == ["invalid_item"] * 5
        assert reasons[7] == "invalid_scanned_at"
        assert await record(api, good["scan_id"]) is not None
        assert await record(api, bad[0]["scan_id"]) is None

    async def test_a_code_signed_by_a_since_retired_key_is_still_a_record(self, api: Api) -> None:
        gate = await api.gate()
        citizen, _ = await declared(api)
        entry = item(await fresh_code(api, citizen))
        for _ in range(3):
            await in_app(api.client, keys.rotate)
        response = await api.client.post(
            f"{SCANS}/offline", json={"scans": [entry]}, headers=gate.headers
        )
        assert response.json()["accepted"] == 1

    async def test_a_code_already_used_elsewhere_is_flagged(self, api: Api) -> None:
        citizen, _ = await declared(api)
        online, offline = await api.gate("metro"), await api.gate("park")
        code = await fresh_code(api, citizen)
        await scan(api, online, code)
        entry = item(code)
        response = await api.client.post(
            f"{SCANS}/offline", json={"scans": [entry]}, headers=offline.headers
        )
        assert response.json()["accepted"] == 1
        stored = await record(api, entry["scan_id"])
        assert stored is not None and stored["flagged"]

    async def test_at_most_a_thousand_items(self, api: Api) -> None:
        gate = await api.gate()
        batch = [item("CB1:x") for _ in range(1001)]
        response = await api.client.post(
            f"{SCANS}/offline", json={"scans": batch}, headers=gate.headers
        )
        problem(response, 422, "validation_error")

    async def test_refused_callers(self, api: Api) -> None:
        citizen, _ = await declared(api)
        body: dict[str, Any] = {"scans": []}
        problem(await api.client.post(f"{SCANS}/offline", json=body), 401, "unauthorized")
        response = await api.client.post(f"{SCANS}/offline", json=body, headers=citizen.headers)
        problem(response, 401, "unauthorized")
