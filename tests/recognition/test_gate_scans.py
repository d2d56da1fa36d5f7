"""Gate scans of foreign codes: a second City Brain's and EU DCCs, through the trust list."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from app.settings import get_settings
from healthcode.clock import clock
from recognition.trust import from_document
from recognition.verifier import verify
from tests.app.portal import db_fetch
from tests.healthcode.conftest import declared, fresh_code, scan
from tests.helpers import Api
from tests.recognition import factory as f

ADMIN = "/api/v1/admin/trust-list"


def _now() -> datetime:
    return clock.now().astimezone(UTC)


async def trust(
    api: Api,
    *,
    cities: tuple[f.City, ...] = (),
    signers: tuple[f.Signer, ...] = (),
    rules: dict[str, Any] | None = None,
) -> None:
    headers = (await api.with_role("health_admin")).headers
    for city in cities:
        response = await api.client.post(
            f"{ADMIN}/city-issuers", json=city.entry(), headers=headers
        )
        assert response.status_code == 200, response.text
    if signers:
        body = {"certificates": [s.entry() for s in signers]}
        response = await api.client.put(f"{ADMIN}/dsc", json=body, headers=headers)
        assert response.status_code == 200, response.text
    if rules is not None:
        response = await api.client.put(f"{ADMIN}/rules", json=rules, headers=headers)
        assert response.status_code == 200, response.text


def _signer(**options: Any) -> f.Signer:
    now = _now()
    return f.signer(
        not_before=now - timedelta(days=30), not_after=now + timedelta(days=300), **options
    )


def _vaccinated(days_ago: int = 30) -> dict[str, Any]:
    return f.vaccination(dt=(_now() - timedelta(days=days_ago)).date().isoformat())


async def _recorded(api: Api, scan_id: str) -> dict[str, Any]:
    rows = await db_fetch(api.client, "SELECT * FROM hc_scan WHERE id = {}", scan_id)
    return rows[0]


class TestForeignCityBrainScan:
    async def test_trusted_city_passes_with_its_colour(self, api: Api) -> None:
        shanghai = f.city("https://citybrain.shanghai-pass.example")
        await trust(api, cities=(shanghai,))
        gate = await api.gate()
        body = await scan(api, gate, shanghai.code(iat=_now()))
        assert (body["result"], body["colour"], body["reason"]) == ("pass", "green", None)
        row = await _recorded(api, body["scan_id"])
        assert row["citizen_id"] is None and len(row["subject_hash"]) == 64

    async def test_stated_yellow_is_denied_by_policy(self, api: Api) -> None:
        shanghai = f.city("https://citybrain.shanghai-yellow.example")
        await trust(api, cities=(shanghai,))
        body = await scan(api, await api.gate(), shanghai.code(colour="yellow", iat=_now()))
        assert (body["result"], body["colour"], body["reason"]) == (
            "deny",
            "yellow",
            "colour_yellow",
        )

    async def test_unknown_issuer_is_code_invalid(self, api: Api) -> None:
        stranger = f.city("https://citybrain.nowhere.example")
        body = await scan(api, await api.gate(), stranger.code(iat=_now()))
        assert (body["result"], body["reason"]) == ("deny", "code_invalid")

    async def test_expired_is_code_expired(self, api: Api) -> None:
        shanghai = f.city("https://citybrain.shanghai-old.example")
        await trust(api, cities=(shanghai,))
        old = shanghai.code(iat=_now() - timedelta(minutes=5))
        body = await scan(api, await api.gate(), old)
        assert (body["result"], body["reason"]) == ("deny", "code_expired")

    async def test_two_cities_trust_each_other(self, api: Api) -> None:
        """Server A (this app) trusts B's JWKS; B verifies A's code with A's published JWKS."""
        city_b = f.city("https://citybrain.city-b.example")
        await trust(api, cities=(city_b,))
        gate = await api.gate()
        assert (await scan(api, gate, city_b.code(iat=_now())))["result"] == "pass"
        published = await api.client.get("/.well-known/jwks.json")
        city_a = {"iss": get_settings().code_issuer, "region": "330100", "jwks": published.json()}
        b_trusts = from_document({"city_issuers": [city_a]})
        citizen, _ = await declared(api)
        verdict = verify(await fresh_code(api, citizen), b_trusts, _now())
        assert (verdict.valid, verdict.issuer, verdict.colour) == (True, city_a["iss"], "green")
        # and our own gate still reads our own code the usual way
        assert (await scan(api, gate, await fresh_code(api, citizen)))["result"] == "pass"


class TestEuDccScan:
    async def test_accepted_vaccination_passes_masked(self, api: Api) -> None:
        dsc = _signer(usages=[f.EKU_VACCINATION])
        await trust(api, signers=(dsc,), rules={"vaccination_min_days": 14})
        now = _now()
        code = f.dcc(_vaccinated(), dsc, iat=now - timedelta(days=1), exp=now + timedelta(days=30))
        body = await scan(api, await api.gate(), code)
        assert (body["result"], body["colour"], body["name_masked"]) == (
            "pass",
            "green",
            "G******* M*********",
        )
        row = await _recorded(api, body["scan_id"])
        assert row["subject_hash"] and "MUSTERFRAU" not in str(row) and "1998" not in str(row)

    async def test_rules_decide_green(self, api: Api) -> None:
        dsc = _signer()
        await trust(api, signers=(dsc,), rules={"vaccination_min_days": 60})
        now = _now()
        code = f.dcc(
            _vaccinated(30), dsc, iat=now - timedelta(days=1), exp=now + timedelta(days=30)
        )
        body = await scan(api, await api.gate(), code)
        assert (body["result"], body["colour"], body["reason"]) == (
            "deny",
            "yellow",
            "colour_yellow",
        )

    async def test_same_holder_same_hash(self, api: Api) -> None:
        dsc = _signer()
        await trust(api, signers=(dsc,), rules={"vaccination_min_days": 0})
        now = _now()
        gate = await api.gate()
        first = await scan(api, gate, f.dcc(_vaccinated(), dsc, iat=now - timedelta(days=1)))
        second = await scan(api, gate, f.dcc(_vaccinated(20), dsc, iat=now - timedelta(days=2)))
        hashes = {(await _recorded(api, b["scan_id"]))["subject_hash"] for b in (first, second)}
        assert len(hashes) == 1

    async def test_failure_modes_deny(self, api: Api) -> None:
        listed = _signer(usages=[f.EKU_TEST])
        stranger = _signer()
        await trust(api, signers=(listed,))
        now = _now()
        gate = await api.gate()
        cases = {
            "HC1:not base45 ~": "code_invalid",
            f.dcc(f.recovery(), listed, iat=now - timedelta(days=1)): "code_invalid",  # key usage
            f.dcc(_vaccinated(), stranger, iat=now - timedelta(days=1)): "code_invalid",  # kid
            f.dcc(
                f.test_statement(), listed, iat=now - timedelta(days=2), exp=now - timedelta(days=1)
            ): "code_expired",
        }
        for code, reason in cases.items():
            body = await scan(api, gate, code)
            assert (body["result"], body["reason"], body["colour"]) == ("deny", reason, None)


async def _upload(
    api: Api, gate: Any, *items: tuple[str, datetime]
) -> tuple[dict[str, Any], list[str]]:
    scans = [
        {"scan_id": str(uuid.uuid4()), "code": code, "scanned_at": at.isoformat(), "result": "pass"}
        for code, at in items
    ]
    response = await api.client.post(
        "/api/v1/gate/scans/offline", json={"scans": scans}, headers=gate.headers
    )
    assert response.status_code == 200, response.text
    return response.json(), [s["scan_id"] for s in scans]


class TestOfflineForeignScans:
    """An offline gate verified the code with the downloaded list; the upload is judged again
    at the moment of the scan, and recorded under the holder's keyed hash."""

    async def test_codes_valid_when_scanned_are_recorded(self, api: Api) -> None:
        hangzhou_east = f.city("https://citybrain.offline-city.example")
        dsc = _signer()
        await trust(api, cities=(hangzhou_east,), signers=(dsc,), rules={"vaccination_min_days": 0})
        gate = await api.gate()
        then = _now() - timedelta(hours=2)  # the city's code lived 90 s, two hours ago
        city_code = hangzhou_east.code(iat=then - timedelta(seconds=10))
        certificate = f.dcc(
            _vaccinated(), dsc, iat=_now() - timedelta(days=1), exp=_now() + timedelta(days=30)
        )
        body, ids = await _upload(api, gate, (city_code, then), (certificate, then))
        assert (body["accepted"], body["rejected"]) == (2, []), body
        for scan_id in ids:
            row = await _recorded(api, scan_id)
            assert row["citizen_id"] is None and len(row["subject_hash"]) == 64
            assert (row["source"], row["colour"]) == ("offline", "green")

    async def test_codes_invalid_when_scanned_are_rejected_alone(self, api: Api) -> None:
        known = f.city("https://citybrain.offline-known.example")
        stranger = f.city("https://citybrain.offline-stranger.example")
        await trust(api, cities=(known,))
        gate = await api.gate()
        then = _now() - timedelta(minutes=30)
        body, ids = await _upload(
            api,
            gate,
            (known.code(iat=then - timedelta(seconds=5)), then),
            (stranger.code(iat=then - timedelta(seconds=5)), then),
            (known.code(iat=then - timedelta(minutes=10)), then),
        )
        assert body["accepted"] == 1
        assert sorted((r["scan_id"], r["reason"]) for r in body["rejected"]) == sorted(
            [(ids[1], "code_invalid"), (ids[2], "code_expired")]
        )
        again, _ = await _upload(api, gate)
        assert again["accepted"] == 0


class TestForeignHoldersInExposures:
    async def test_listed_by_keyed_hash_and_never_marked(self, api: Api) -> None:
        visitor_city = f.city("https://citybrain.exposure-city.example")
        await trust(api, cities=(visitor_city,))
        gate = await api.gate("mall")
        case, _ = await declared(api)
        assert (await scan(api, gate, await fresh_code(api, case)))["result"] == "pass"
        visitor = await scan(api, gate, visitor_city.code(iat=_now()))
        subject = (await _recorded(api, visitor["scan_id"]))["subject_hash"]
        officer = (await api.with_role("health_admin")).headers
        found = await api.client.get(
            "/api/v1/admin/exposures", params={"citizen_id": case.id}, headers=officer
        )
        assert found.status_code == 200, found.text
        [item] = found.json()["items"]
        assert (item["citizen_id"], item["foreign_subject"]) == (None, subject)
        assert item["venue_id"] == gate.venue_id
        marked = await api.client.post(
            "/api/v1/admin/exposures/marks",
            json={"citizen_id": case.id, "from": (_now() - timedelta(hours=1)).isoformat()},
            headers=officer,
        )
        assert marked.status_code == 200, marked.text
        assert marked.json()["marked"] == 0


class TestVenuePolicy:
    async def test_a_venue_may_refuse_foreign_codes(self, api: Api) -> None:
        visitor_city = f.city("https://citybrain.policy-city.example")
        await trust(api, cities=(visitor_city,))
        closed = await api.gate(venue=await api.venue("office", foreign_codes=False))
        assert closed.venue["foreign_codes"] is False
        refused = await scan(api, closed, visitor_city.code(iat=_now()))
        assert (refused["result"], refused["reason"]) == ("deny", "foreign_code_refused")
        assert refused["colour"] == "green"  # what the code says, shown as for any denial
        citizen, _ = await declared(api)
        own = await scan(api, closed, await fresh_code(api, citizen))
        assert (own["result"], own["reason"]) == ("pass", None)
        invalid = await scan(api, closed, f.city("https://nobody.example").code(iat=_now()))
        assert invalid["reason"] == "code_invalid"  # a forgery is a forgery first
