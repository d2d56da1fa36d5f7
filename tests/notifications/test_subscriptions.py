"""Subscriptions: subscribe, list, cancel, and sending a template with one (send_from_app)."""

from __future__ import annotations

import pytest

from app.errors import RateLimited
from notifications.errors import NotSubscribed
from notifications.outbox import send_from_app
from tests.helpers import Api, problem
from tests.notifications.conftest import FakeApps
from tests.notifications.helpers import in_app, settle


async def subscribe(
    api: Api, slug: str, headers: dict[str, str], **body: object
) -> dict[str, object]:
    response = await api.client.post(
        f"/api/v1/miniapps/{slug}/subscriptions", json=body, headers=headers
    )
    assert response.status_code == 201, response.text
    created: dict[str, object] = response.json()
    return created


async def my_subscriptions(api: Api, headers: dict[str, str]) -> list[dict[str, object]]:
    response = await api.client.get("/api/v1/me/subscriptions", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, object]] = response.json()["items"]
    return items


class TestSubscribe:
    async def test_subscribe_to_declared_templates(self, api: Api, fake_apps: FakeApps) -> None:
        citizen = await api.citizen()
        slug, _, _ = fake_apps.add(templates=["visit_reminder", "bill_ready"])
        created = await subscribe(
            api, slug, citizen.headers, templates=["visit_reminder", "bill_ready", "bill_ready"]
        )
        assert created == {
            "slug": slug,
            "templates": ["visit_reminder", "bill_ready"],
            "mode": "standing",
        }
        listed = await my_subscriptions(api, citizen.headers)
        assert {(s["slug"], s["template"], s["mode"]) for s in listed} == {
            (slug, "visit_reminder", "standing"),
            (slug, "bill_ready", "standing"),
        }
        # Subscribing again changes the mode, never duplicates.
        await subscribe(api, slug, citizen.headers, templates=["bill_ready"], mode="one_time")
        listed = await my_subscriptions(api, citizen.headers)
        assert sorted((s["template"], s["mode"]) for s in listed) == [
            ("bill_ready", "one_time"),
            ("visit_reminder", "standing"),
        ]

    async def test_undeclared_template_is_refused_and_nothing_is_written(
        self, api: Api, fake_apps: FakeApps
    ) -> None:
        citizen = await api.citizen()
        slug, _, _ = fake_apps.add(templates=["visit_reminder"])
        response = await api.client.post(
            f"/api/v1/miniapps/{slug}/subscriptions",
            json={"templates": ["visit_reminder", "marketing"]},
            headers=citizen.headers,
        )
        body = problem(response, 422, "validation_error")
        assert body["errors"][0]["field"] == "templates[1]"
        assert await my_subscriptions(api, citizen.headers) == []

    async def test_bad_bodies(self, api: Api, fake_apps: FakeApps) -> None:
        citizen = await api.citizen()
        slug, _, _ = fake_apps.add()
        bodies: list[dict[str, object]] = [
            {"templates": []},
            {"templates": ["Bad Name!"]},
            {"templates": ["bill_ready"], "mode": "forever"},
            {},
        ]
        for body in bodies:
            response = await api.client.post(
                f"/api/v1/miniapps/{slug}/subscriptions", json=body, headers=citizen.headers
            )
            problem(response, 422, "validation_error")
        malformed = await api.client.post(
            f"/api/v1/miniapps/{slug}/subscriptions",
            content=b"{not json",
            headers={**citizen.headers, "content-type": "application/json"},
        )
        assert malformed.status_code == 400

    async def test_unknown_app_is_404(self, api: Api, fake_apps: FakeApps) -> None:
        citizen = await api.citizen()
        response = await api.client.post(
            "/api/v1/miniapps/nosuchapp/subscriptions",
            json={"templates": ["x"]},
            headers=citizen.headers,
        )
        problem(response, 404, "not_found")

    async def test_callers_without_a_citizen_token_are_refused(
        self, api: Api, fake_apps: FakeApps
    ) -> None:
        gate = await api.gate()
        slug, _, _ = fake_apps.add()
        for headers in ({}, gate.headers):
            response = await api.client.post(
                f"/api/v1/miniapps/{slug}/subscriptions",
                json={"templates": ["bill_ready"]},
                headers=headers,
            )
            problem(response, 401, "unauthorized")


class TestCancel:
    async def test_cancel_one_template_then_the_whole_app(
        self, api: Api, fake_apps: FakeApps
    ) -> None:
        citizen = await api.citizen()
        slug, _, _ = fake_apps.add(templates=["a1", "a2", "a3"])
        await subscribe(api, slug, citizen.headers, templates=["a1", "a2", "a3"])
        one_url = f"/api/v1/me/subscriptions/{slug}/a1"
        one = await api.client.delete(one_url, headers=citizen.headers)
        assert one.status_code == 204
        left = await my_subscriptions(api, citizen.headers)
        assert {s["template"] for s in left} == {"a2", "a3"}
        gone = await api.client.delete(one_url, headers=citizen.headers)
        problem(gone, 404, "not_found")
        everything = await api.client.delete(
            f"/api/v1/me/subscriptions/{slug}", headers=citizen.headers
        )
        assert everything.status_code == 204
        assert await my_subscriptions(api, citizen.headers) == []

    async def test_another_citizens_subscription_is_not_touched(
        self, api: Api, fake_apps: FakeApps
    ) -> None:
        citizen, other = await api.citizen(), await api.citizen()
        slug, _, _ = fake_apps.add(templates=["a1"])
        await subscribe(api, slug, other.headers, templates=["a1"])
        response = await api.client.delete(
            f"/api/v1/me/subscriptions/{slug}", headers=citizen.headers
        )
        problem(response, 404, "not_found")
        assert len(await my_subscriptions(api, other.headers)) == 1

    async def test_list_pages_and_refuses_strangers(self, api: Api, fake_apps: FakeApps) -> None:
        citizen = await api.citizen()
        slug, _, _ = fake_apps.add(templates=["a1", "a2", "a3"])
        await subscribe(api, slug, citizen.headers, templates=["a1", "a2", "a3"])
        page = (
            await api.client.get("/api/v1/me/subscriptions?limit=2", headers=citizen.headers)
        ).json()
        rest = (
            await api.client.get(
                f"/api/v1/me/subscriptions?limit=2&cursor={page['next_cursor']}",
                headers=citizen.headers,
            )
        ).json()
        assert [s["template"] for s in page["items"] + rest["items"]] == ["a1", "a2", "a3"]
        assert rest["next_cursor"] is None
        gate = await api.gate()
        for headers in ({}, gate.headers):
            listed = await api.client.get("/api/v1/me/subscriptions", headers=headers)
            assert listed.status_code == 401
            deleted = await api.client.delete(f"/api/v1/me/subscriptions/{slug}", headers=headers)
            assert deleted.status_code == 401


class TestSendFromApp:
    async def test_refused_without_a_subscription(self, api: Api, fake_apps: FakeApps) -> None:
        citizen = await api.citizen()
        slug, _, _ = fake_apps.add(templates=["bill_ready"])
        with pytest.raises(NotSubscribed) as refused:
            await in_app(api, send_from_app, slug, citizen.id, "bill_ready", {"amount": 100})
        assert refused.value.status == 403 and refused.value.code == "not_subscribed"

    async def test_standing_subscription_sends_every_time(
        self, api: Api, fake_apps: FakeApps
    ) -> None:
        citizen = await api.citizen()
        slug, _, _ = fake_apps.add(templates=["bill_ready"])
        await subscribe(api, slug, citizen.headers, templates=["bill_ready"])
        data = {"title": "账单已出", "body": "本月账单 12.00 元"}
        first = await in_app(api, send_from_app, slug, citizen.id, "bill_ready", data)
        second = await in_app(api, send_from_app, slug, citizen.id, "bill_ready", data)
        await settle(api)
        items = (await api.client.get("/api/v1/notifications", headers=citizen.headers)).json()
        assert [i["id"] for i in items["items"]] == [second, first]
        assert items["items"][0]["miniapp"] == slug
        assert items["items"][0]["kind"] == "miniapp.bill_ready"
        assert items["items"][0]["title"] == "账单已出"
        assert items["items"][0]["body"] == "本月账单 12.00 元"

    async def test_one_time_subscription_is_consumed(self, api: Api, fake_apps: FakeApps) -> None:
        citizen = await api.citizen()
        slug, _, _ = fake_apps.add(templates=["visit_reminder"])
        await subscribe(api, slug, citizen.headers, templates=["visit_reminder"], mode="one_time")
        await in_app(api, send_from_app, slug, citizen.id, "visit_reminder", {"time": "9:00"})
        with pytest.raises(NotSubscribed):
            await in_app(api, send_from_app, slug, citizen.id, "visit_reminder", {"time": "9:00"})
        assert await my_subscriptions(api, citizen.headers) == []

    async def test_per_app_send_rate_limit(self, api: Api, fake_apps: FakeApps) -> None:
        citizen = await api.citizen()
        slug, _, _ = fake_apps.add(templates=["bill_ready"])
        await subscribe(api, slug, citizen.headers, templates=["bill_ready"])
        for _ in range(5):  # the tests' limit
            await in_app(api, send_from_app, slug, citizen.id, "bill_ready", {})
        with pytest.raises(RateLimited):
            await in_app(api, send_from_app, slug, citizen.id, "bill_ready", {})
        other, _, _ = fake_apps.add(templates=["bill_ready"])
        await subscribe(api, other, citizen.headers, templates=["bill_ready"])
        await in_app(api, send_from_app, other, citizen.id, "bill_ready", {})  # its own budget
