"""examples/hello-miniapp: a third-party package found through its entry point, served under
/api/v1/miniapps/hello, reaching the platform only through its MiniAppContext."""

from __future__ import annotations

from datetime import UTC, datetime

from miniapps.registry import get_registry
from miniapps.service import openid_for
from tests.app.portal import db_fetch, in_app
from tests.helpers import Api, problem
from tests.miniapps.conftest import declare, grant, keyed
from tests.notifications.helpers import settle

BASE = "/api/v1/miniapps/hello"


class TestGreeting:
    async def test_anyone_is_greeted(self, api: Api) -> None:
        response = await api.client.get(BASE)
        assert response.status_code == 200, response.text
        assert response.json() == {"message": "你好, Hello 城市大脑!", "signed_in": False}
        citizen = await api.citizen()
        assert (await api.client.get(BASE, headers=citizen.headers)).json()["signed_in"] is True

    async def test_a_bad_token_is_refused_not_ignored(self, api: Api) -> None:
        problem(
            await api.client.get(BASE, headers={"Authorization": "Bearer junk"}),
            401,
            "unauthorized",
        )

    async def test_the_routes_are_in_the_openapi_document(self, api: Api) -> None:
        schema = (await api.client.get("/schema/openapi.json")).json()
        assert f"{BASE}/visits" in schema["paths"]


class TestVisits:
    async def test_counted_per_openid_once_profile_is_granted(self, api: Api) -> None:
        citizen = await api.citizen(name="赵六")
        problem(await api.client.post(f"{BASE}/visits"), 401, "unauthorized")
        problem(
            await api.client.post(f"{BASE}/visits", headers=citizen.headers), 403, "scope_required"
        )
        await grant(api, "hello", citizen, ["profile.basic"])
        first = await api.client.post(f"{BASE}/visits", headers=citizen.headers)
        second = await api.client.post(f"{BASE}/visits", headers=citizen.headers)
        assert first.status_code == 200, first.text
        assert first.json() == {
            "openid": await in_app(api.client, _openid, citizen.id),
            "name_masked": "赵*",
            "visits": 1,
        }
        assert second.json()["visits"] == 2
        log = (await api.client.get("/api/v1/me/data-access", headers=citizen.headers)).json()[
            "items"
        ]
        assert [(i["slug"], i["what"]) for i in log] == [("hello", "profile"), ("hello", "profile")]

    async def test_revoking_over_http_reaches_the_handler_through_the_outbox(
        self, api: Api
    ) -> None:
        citizen = await api.citizen()
        await grant(api, "hello", citizen, ["profile.basic"])
        openid = (await api.client.post(f"{BASE}/visits", headers=citizen.headers)).json()["openid"]
        revoked = await api.client.delete("/api/v1/me/grants/hello", headers=citizen.headers)
        assert revoked.status_code == 204
        await settle(api)
        assert (
            await db_fetch(api.client, "SELECT id FROM hello_visit WHERE openid = {}", openid) == []
        )
        deliveries = await db_fetch(
            api.client,
            "SELECT d.channel, d.status FROM notification_delivery d "
            "JOIN outbox_event e ON e.id = d.event_id "
            "WHERE e.kind = 'grant.revoked' AND e.citizen_id = {}",
            citizen.id,
        )
        assert deliveries == [{"channel": "app", "status": "sent"}]

    async def test_a_revoked_grant_makes_hello_forget_the_visitor(self, api: Api) -> None:
        citizen = await api.citizen()
        await grant(api, "hello", citizen, ["profile.basic"])
        openid = (await api.client.post(f"{BASE}/visits", headers=citizen.headers)).json()["openid"]
        handled = await in_app(
            api.client,
            get_registry().deliver_event,
            "hello",
            event_id="e-1",
            kind="grant.revoked",
            created_at=datetime.now(UTC),
            data={"openid": openid},
        )
        assert handled is True
        assert (
            await db_fetch(api.client, "SELECT id FROM hello_visit WHERE openid = {}", openid) == []
        )
        unhandled = await in_app(
            api.client,
            get_registry().deliver_event,
            "hello",
            event_id="e-2",
            kind="hold.expired",
            created_at=datetime.now(UTC),
            data={},
        )
        assert unhandled is False


class TestColour:
    async def test_with_healthcode_read(self, api: Api) -> None:
        citizen = await api.citizen()
        await declare(api, citizen)
        problem(
            await api.client.get(f"{BASE}/colour", headers=citizen.headers), 403, "scope_required"
        )
        await grant(api, "hello", citizen, ["healthcode.read"])
        assert (await api.client.get(f"{BASE}/colour", headers=citizen.headers)).json() == {
            "colour": "green"
        }


class TestTips:
    async def test_a_tip_is_charged_once_per_key(self, api: Api) -> None:
        citizen = await api.citizen()
        await grant(api, "hello", citizen, ["wallet.charge"])
        headers = keyed(citizen.headers, "tip-1")
        first = await api.client.post(f"{BASE}/tips", json={"amount": 500}, headers=headers)
        again = await api.client.post(f"{BASE}/tips", json={"amount": 500}, headers=headers)
        assert first.status_code == 201, first.text
        assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
        wallet = (await api.client.get("/api/v1/wallet", headers=citizen.headers)).json()
        assert wallet["outstanding"] == 500
        entries = (await api.client.get("/api/v1/wallet/entries", headers=citizen.headers)).json()[
            "items"
        ]
        assert [(e["kind"], e["miniapp"]) for e in entries] == [("charge", "hello")]

    async def test_refusals(self, api: Api) -> None:
        citizen = await api.citizen()
        problem(
            await api.client.post(
                f"{BASE}/tips", json={"amount": 5}, headers=keyed(citizen.headers)
            ),
            403,
            "scope_required",
        )
        await grant(api, "hello", citizen, ["wallet.charge"])
        problem(
            await api.client.post(f"{BASE}/tips", json={"amount": 5}, headers=citizen.headers),
            422,
            "idempotency_key_required",
        )
        problem(
            await api.client.post(
                f"{BASE}/tips", json={"amount": 0}, headers=keyed(citizen.headers)
            ),
            422,
            "validation_error",
        )


class TestWaves:
    async def test_only_to_subscribers(self, api: Api) -> None:
        citizen = await api.citizen()
        await grant(api, "hello", citizen, ["notify.send"])
        problem(
            await api.client.post(f"{BASE}/waves", headers=citizen.headers), 403, "not_subscribed"
        )
        subscribed = await api.client.post(
            "/api/v1/miniapps/hello/subscriptions",
            json={"templates": ["hello.wave"]},
            headers=citizen.headers,
        )
        assert subscribed.status_code == 201, subscribed.text
        response = await api.client.post(f"{BASE}/waves", headers=citizen.headers)
        assert response.status_code == 202, response.text


class TestDeskScans:
    async def test_an_office_desk_scans_a_visitors_code(self, api: Api) -> None:
        citizen = await api.citizen()
        code = await declare(api, citizen)
        desk = await api.gate("office")
        response = await api.client.post(
            f"{BASE}/desk/scans", json={"code": code}, headers=desk.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["admitted"] is True and body["colour"] == "green"
        assert body["openid"] == await in_app(api.client, _openid, citizen.id)
        log = (await api.client.get("/api/v1/me/data-access", headers=citizen.headers)).json()[
            "items"
        ]
        assert log[0]["what"] == "device_scan" and desk.venue_id in log[0]["detail"]

    async def test_a_forged_code_admits_nobody(self, api: Api) -> None:
        desk = await api.gate("office")
        response = await api.client.post(
            f"{BASE}/desk/scans", json={"code": "CB1.forged"}, headers=desk.headers
        )
        assert response.json() == {
            "admitted": False,
            "colour": None,
            "openid": None,
            "visits": None,
        }

    async def test_only_gates_of_its_venue_kinds(self, api: Api) -> None:
        citizen = await api.citizen()
        hotel_desk = await api.gate("hotel")
        for headers, status, code in (
            (hotel_desk.headers, 403, "forbidden"),
            (citizen.headers, 403, "forbidden"),
            ({}, 401, "unauthorized"),
        ):
            response = await api.client.post(
                f"{BASE}/desk/scans", json={"code": "x"}, headers=headers
            )
            problem(response, status, code)


async def _openid(citizen_id: str) -> str:
    return openid_for("hello", citizen_id)
