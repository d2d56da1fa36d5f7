"""GET /api/v1/notifications and POST /api/v1/notifications/{id}/read."""

from __future__ import annotations

from tests.helpers import Api, problem
from tests.notifications.helpers import publish_event, settle


class TestListInbox:
    async def test_newest_first_in_pages(self, api: Api) -> None:
        citizen = await api.citizen()
        published = [await publish_event(api, "wallet.due", citizen.id) for _ in range(3)]
        await settle(api)
        first = await api.client.get("/api/v1/notifications?limit=2", headers=citizen.headers)
        assert first.status_code == 200, first.text
        page = first.json()
        assert [item["id"] for item in page["items"]] == published[:0:-1]
        assert set(page["items"][0]) == {
            "id",
            "kind",
            "title",
            "body",
            "miniapp",
            "created_at",
            "read_at",
        }
        assert page["next_cursor"]
        second = await api.client.get(
            f"/api/v1/notifications?limit=2&cursor={page['next_cursor']}", headers=citizen.headers
        )
        assert [item["id"] for item in second.json()["items"]] == [published[0]]
        assert second.json()["next_cursor"] is None

    async def test_only_the_citizens_own(self, api: Api) -> None:
        citizen, other = await api.citizen(), await api.citizen()
        await publish_event(api, "wallet.due", other.id)
        await settle(api)
        response = await api.client.get("/api/v1/notifications", headers=citizen.headers)
        assert response.json() == {"items": [], "next_cursor": None}

    async def test_bad_limit_and_cursor(self, api: Api) -> None:
        citizen = await api.citizen()
        for query in ("limit=0", "limit=201", "cursor=%%%"):
            response = await api.client.get(
                f"/api/v1/notifications?{query}", headers=citizen.headers
            )
            problem(response, 422, "validation_error")

    async def test_callers_without_a_citizen_token_are_refused(self, api: Api) -> None:
        gate = await api.gate()
        for headers in ({}, gate.headers):
            response = await api.client.get("/api/v1/notifications", headers=headers)
            problem(response, 401, "unauthorized")


class TestMarkRead:
    async def test_read_is_204_and_keeps_the_first_time(self, api: Api) -> None:
        citizen = await api.citizen()
        event_id = await publish_event(api, "wallet.due", citizen.id)
        await settle(api)
        url = f"/api/v1/notifications/{event_id}/read"
        response = await api.client.post(url, headers=citizen.headers)
        assert response.status_code == 204 and response.content == b""
        listed = await api.client.get("/api/v1/notifications", headers=citizen.headers)
        read_at = listed.json()["items"][0]["read_at"]
        assert read_at is not None
        assert (await api.client.post(url, headers=citizen.headers)).status_code == 204
        listed = await api.client.get("/api/v1/notifications", headers=citizen.headers)
        assert listed.json()["items"][0]["read_at"] == read_at

    async def test_someone_elses_or_unknown_is_404(self, api: Api) -> None:
        citizen, other = await api.citizen(), await api.citizen()
        event_id = await publish_event(api, "wallet.due", other.id)
        await settle(api)
        for notification_id in (event_id, "no-such-id"):
            response = await api.client.post(
                f"/api/v1/notifications/{notification_id}/read", headers=citizen.headers
            )
            problem(response, 404, "not_found")
        listed = await api.client.get("/api/v1/notifications", headers=other.headers)
        assert listed.json()["items"][0]["read_at"] is None

    async def test_callers_without_a_citizen_token_are_refused(self, api: Api) -> None:
        gate = await api.gate()
        for headers in ({}, gate.headers):
            response = await api.client.post("/api/v1/notifications/x/read", headers=headers)
            problem(response, 401, "unauthorized")
