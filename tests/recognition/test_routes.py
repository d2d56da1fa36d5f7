"""Trust-list endpoints: health_admins edit it, gates download it (ETag), nobody else."""

from __future__ import annotations

from typing import Any

import pytest
from joserfc import jws
from joserfc.errors import BadSignatureError
from joserfc.jwk import KeySet

from app.security import b64url as _b64url
from tests.app.portal import db_fetch
from tests.helpers import Api, bearer, problem
from tests.recognition import factory as f

ADMIN = "/api/v1/admin/trust-list"
CITIES = f"{ADMIN}/city-issuers"
DSC = f"{ADMIN}/dsc"
RULES = f"{ADMIN}/rules"
GATE = "/api/v1/gate/trust-list"


async def versions(api: Api) -> int:
    rows = await db_fetch(api.client, "SELECT COUNT(*) AS n FROM rc_trust_version")
    return int(rows[0]["n"])


async def health_admin(api: Api) -> dict[str, str]:
    return (await api.with_role("health_admin")).headers


class TestPutCityIssuer:
    async def test_adds_then_replaces(self, api: Api) -> None:
        headers = await health_admin(api)
        shanghai = f.city()
        first = await api.client.post(CITIES, json=shanghai.entry(), headers=headers)
        assert first.status_code == 200, first.text
        again = await api.client.post(CITIES, json=shanghai.entry(), headers=headers)
        body = again.json()
        assert body["version"] == first.json()["version"] + 1
        assert [c["iss"] for c in body["city_issuers"]].count(shanghai.iss) == 1

    async def test_bad_jwks_writes_nothing(self, api: Api) -> None:
        headers = await health_admin(api)
        before = await versions(api)
        entry: dict[str, Any] = {**f.city().entry(), "jwks": {"keys": [{"kty": "RSA"}]}}
        problem(
            await api.client.post(CITIES, json=entry, headers=headers), 422, "trust_entry_invalid"
        )
        bad_iss = {**f.city().entry(), "iss": "http://plain"}
        assert (await api.client.post(CITIES, json=bad_iss, headers=headers)).status_code == 422
        assert await versions(api) == before

    async def test_who_may_not(self, api: Api) -> None:
        entry = f.city().entry()
        assert (await api.client.post(CITIES, json=entry)).status_code == 401
        citizen = await api.citizen()
        problem(
            await api.client.post(CITIES, json=entry, headers=citizen.headers), 403, "forbidden"
        )
        gate = await api.gate()
        assert (await api.client.post(CITIES, json=entry, headers=gate.headers)).status_code in (
            401,
            403,
        )


class TestRemoveCityIssuer:
    async def test_removes(self, api: Api) -> None:
        headers = await health_admin(api)
        shanghai = f.city("https://citybrain.removed.example")
        await api.client.post(CITIES, json=shanghai.entry(), headers=headers)
        gone = await api.client.delete(CITIES, params={"iss": shanghai.iss}, headers=headers)
        assert gone.status_code == 204, gone.text
        listed = (await api.client.get(f"{ADMIN}/", headers=headers)).json()
        assert shanghai.iss not in [c["iss"] for c in listed["city_issuers"]]
        again = await api.client.delete(CITIES, params={"iss": shanghai.iss}, headers=headers)
        problem(again, 404, "issuer_not_found")

    async def test_who_may_not(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.delete(
            CITIES, params={"iss": "https://x.example"}, headers=citizen.headers
        )
        problem(response, 403, "forbidden")
        assert (
            await api.client.delete(CITIES, params={"iss": "https://x.example"})
        ).status_code == 401


class TestImportDsc:
    async def test_imports_the_eu_shape(self, api: Api) -> None:
        headers = await health_admin(api)
        dsc = f.signer()
        response = await api.client.put(DSC, json={"certificates": [dsc.entry()]}, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["dsc"][0]["kid"] == dsc.entry()["kid"]

    async def test_bad_certificate_writes_nothing(self, api: Api) -> None:
        headers = await health_admin(api)
        before = await versions(api)
        broken = {
            "certificates": [{"country": "AT", "kid": "AAAAAAAAAAA=", "rawData": "bm90IGRlcg=="}]
        }
        problem(await api.client.put(DSC, json=broken, headers=headers), 422, "trust_entry_invalid")
        assert await versions(api) == before

    async def test_who_may_not(self, api: Api) -> None:
        citizen = await api.citizen()
        problem(
            await api.client.put(DSC, json={"certificates": []}, headers=citizen.headers),
            403,
            "forbidden",
        )


class TestPutRules:
    async def test_sets_n(self, api: Api) -> None:
        headers = await health_admin(api)
        rules = {"vaccination_min_days": 0, "test_max_hours": 48, "recovery_max_days": 180}
        response = await api.client.put(RULES, json=rules, headers=headers)
        assert response.status_code == 200, response.text
        assert response.json()["rules"] == rules

    async def test_bad_rules(self, api: Api) -> None:
        headers = await health_admin(api)
        response = await api.client.put(RULES, json={"test_max_hours": 0}, headers=headers)
        assert response.status_code == 422

    async def test_who_may_not(self, api: Api) -> None:
        citizen = await api.citizen()
        problem(await api.client.put(RULES, json={}, headers=citizen.headers), 403, "forbidden")


class TestShowTrustList:
    async def test_who_may_not(self, api: Api) -> None:
        citizen = await api.citizen()
        problem(await api.client.get(f"{ADMIN}/", headers=citizen.headers), 403, "forbidden")


class TestGateTrustList:
    async def test_the_list_is_signed_with_a_key_of_our_jwks(self, api: Api) -> None:
        """An independent JOSE library verifies the detached JWS over the exact body."""
        gate = await api.gate()
        response = await api.client.get(GATE, headers=gate.headers)
        assert response.status_code == 200, response.text
        signed = response.headers["trust-list-signature"]
        protected, empty, signature = signed.split(".")
        assert empty == ""  # the payload is detached: it is the body
        published = (await api.client.get("/.well-known/jwks.json")).json()
        keys = KeySet.import_key_set(published)
        attached = f"{protected}.{_b64url(response.content)}.{signature}"
        verified = jws.deserialize_compact(attached, keys, algorithms=["ES256"])
        assert verified.payload == response.content
        assert verified.protected["kid"] in {k["kid"] for k in published["keys"]}
        tampered = response.content.replace(b'"version"', b'"versiom"')
        with pytest.raises(BadSignatureError):
            jws.deserialize_compact(
                f"{protected}.{_b64url(tampered)}.{signature}", keys, algorithms=["ES256"]
            )

    async def test_download_with_etag(self, api: Api) -> None:
        headers = await health_admin(api)
        await api.client.post(CITIES, json=f.city().entry(), headers=headers)
        gate = await api.gate()
        response = await api.client.get(GATE, headers=gate.headers)
        assert response.status_code == 200, response.text
        tag = response.headers["etag"]
        assert tag == f'"trust-v{response.json()["version"]}"'
        same = await api.client.get(GATE, headers={**gate.headers, "If-None-Match": tag})
        assert same.status_code == 304
        await api.client.put(RULES, json={"test_max_hours": 24}, headers=headers)
        changed = await api.client.get(GATE, headers={**gate.headers, "If-None-Match": tag})
        assert changed.status_code == 200 and changed.headers["etag"] != tag

    async def test_who_may_not(self, api: Api) -> None:
        assert (await api.client.get(GATE)).status_code == 401
        citizen = await api.citizen()
        assert (await api.client.get(GATE, headers=citizen.headers)).status_code == 401
        assert (await api.client.get(GATE, headers=bearer("nonsense"))).status_code == 401
