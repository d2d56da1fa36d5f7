"""The transactional outbox: written with the change, dispatched once, retried, dead-lettered."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.database import atomic
from notifications import dispatcher
from notifications.outbox import publish
from tests.helpers import Api
from tests.notifications.helpers import in_app, publish_event, settle, sql


async def inbox_ids(api: Api, headers: dict[str, str]) -> list[str]:
    response = await api.client.get("/api/v1/notifications", headers=headers)
    assert response.status_code == 200, response.text
    return [item["id"] for item in response.json()["items"]]


class TestPublish:
    async def test_event_reaches_the_inbox_once(self, api: Api) -> None:
        citizen = await api.citizen()
        event_id = await publish_event(
            api,
            "healthcode.colour_changed",
            citizen.id,
            title="健康码变为黄码",
            body="请按要求完成核酸检测。",
            data={"colour": "yellow"},
        )
        await settle(api)
        # Dispatching again (a queue retry, a sweep) adds nothing.
        assert await in_app(api, dispatcher.dispatch_event, event_id) is False
        await settle(api)
        assert await inbox_ids(api, citizen.headers) == [event_id]
        listed = (await api.client.get("/api/v1/notifications", headers=citizen.headers)).json()
        item = listed["items"][0]
        assert item["kind"] == "healthcode.colour_changed"
        assert item["title"] == "健康码变为黄码"
        assert item["miniapp"] is None and item["read_at"] is None

    async def test_rolled_back_change_announces_nothing(self, api: Api) -> None:
        citizen = await api.citizen()

        async def failing_change() -> None:
            async with atomic():
                await publish("wallet.captured", citizen_id=citizen.id, title="t", body="b")
                raise RuntimeError("the change failed")

        with pytest.raises(RuntimeError):
            await in_app(api, failing_change)
        await settle(api)
        assert await inbox_ids(api, citizen.headers) == []
        rows = await sql(api, "SELECT id FROM outbox_event WHERE citizen_id = {}", citizen.id)
        assert rows == []

    async def test_publish_outside_a_transaction_opens_one(self, api: Api) -> None:
        citizen = await api.citizen()

        async def bare() -> str:
            return await publish("wallet.due", citizen_id=citizen.id, title="账单到期", body="b")

        event_id = await in_app(api, bare)
        await settle(api)
        assert await inbox_ids(api, citizen.headers) == [event_id]


class TestSweep:
    async def test_an_event_the_queue_never_got_is_swept_up(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        citizen = await api.citizen()

        async def queue_down(*args: object, **kwargs: object) -> None:
            raise ConnectionError("redis is down")

        monkeypatch.setattr("app.jobs.enqueue", queue_down)
        # The write still succeeds: the outbox keeps the event.
        event_id = await publish_event(api, "wallet.overdue", citizen.id)
        monkeypatch.undo()
        assert await inbox_ids(api, citizen.headers) == []
        # The sweeper leaves fresh rows to their own job for a grace period, then takes them.
        await sql(
            api,
            "UPDATE outbox_event SET next_attempt_at = {} WHERE id = {}",
            datetime(2000, 1, 1, tzinfo=UTC),
            event_id,
        )
        assert await in_app(api, dispatcher.sweep) >= 1
        await settle(api)
        assert await inbox_ids(api, citizen.headers) == [event_id]

    async def test_a_row_still_queued_is_not_queued_again_by_the_next_sweep(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """After a Redis outage the backlog is swept every few seconds while the workers work
        it off: each sweep must name the same job, so that the queue holds each row once."""
        citizen = await api.citizen()

        async def queue_down(*args: object, **kwargs: object) -> None:
            raise ConnectionError("redis is down")

        monkeypatch.setattr("app.jobs.enqueue", queue_down)
        event_id = await publish_event(api, "wallet.overdue", citizen.id)
        queued: list[tuple[object, object]] = []

        async def record(task: object, job_id: object = None, **kwargs: object) -> None:
            if kwargs.get("event_id") == event_id:
                queued.append((task, job_id))

        monkeypatch.setattr(dispatcher, "enqueue", record)
        for minute in (1, 1, 2):  # two sweeps of one state, then a retry's new next attempt
            await sql(
                api,
                "UPDATE outbox_event SET next_attempt_at = {} WHERE id = {}",
                datetime(2000, 1, 1, 0, minute, tzinfo=UTC),
                event_id,
            )
            await in_app(api, dispatcher.sweep)
        assert len(queued) == 3 and all(task == dispatcher.DISPATCH_TASK for task, _ in queued)
        first, second, after_retry = (job_id for _, job_id in queued)
        assert first is not None and first == second
        assert after_retry != first


    async def test_a_backlog_longer_than_a_page_is_queued_whole_by_one_sweep(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        """A sweep pages through the backlog (a Redis outage leaves thousands of rows), each
        row queued once, rows of one instant included: not one page per sweep."""
        citizen = await api.citizen()

        async def queue_down(*args: object, **kwargs: object) -> None:
            raise ConnectionError("redis is down")

        monkeypatch.setattr("app.jobs.enqueue", queue_down)
        backlog = [await publish_event(api, "wallet.overdue", citizen.id) for _ in range(7)]
        queued: list[object] = []

        async def record(task: object, job_id: object = None, **kwargs: object) -> None:
            if kwargs.get("event_id") in backlog:
                queued.append(kwargs["event_id"])

        monkeypatch.setattr(dispatcher, "enqueue", record)
        monkeypatch.setattr(dispatcher, "SWEEP_PAGE", 2)
        for n, event_id in enumerate(backlog):  # three share one instant, at a page's edge
            await sql(
                api,
                "UPDATE outbox_event SET next_attempt_at = {} WHERE id = {}",
                datetime(2000, 1, 1, 0, max(n, 1) if n > 2 else 1, tzinfo=UTC),
                event_id,
            )
        await in_app(api, dispatcher.sweep)
        assert sorted(map(str, queued)) == sorted(backlog)


class TestRetriesAndDeadLetters:
    async def test_a_failing_dispatch_backs_off_then_dies_then_replays(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        citizen = await api.citizen()
        admin = await api.admin()

        async def broken(event: dict[str, object]) -> None:
            raise RuntimeError("fan-out failed")

        monkeypatch.setattr(dispatcher, "_fan_out", broken)
        event_id = await publish_event(api, "wallet.suspended", citizen.id)
        await settle(api)
        rows = await sql(api, "SELECT status, attempts FROM outbox_event WHERE id = {}", event_id)
        assert rows == [{"status": "dead", "attempts": 4}]

        letters = await api.client.get("/api/v1/admin/dead-letters", headers=admin.headers)
        assert letters.status_code == 200, letters.text
        mine = [item for item in letters.json()["items"] if item["id"] == event_id]
        assert mine and mine[0]["source"] == "event" and "fan-out failed" in mine[0]["last_error"]

        monkeypatch.undo()
        replay = await api.client.post(
            f"/api/v1/admin/dead-letters/{event_id}/replay", headers=admin.headers
        )
        assert replay.status_code == 202, replay.text
        assert replay.json() == {"id": event_id, "status": "pending"}
        await settle(api)
        assert await inbox_ids(api, citizen.headers) == [event_id]
        audited = await sql(
            api,
            "SELECT actor_id FROM audit_entry "
            "WHERE action = 'notifications.replay' AND target = {}",
            event_id,
        )
        assert audited == [{"actor_id": admin.id}]
        again = await api.client.post(
            f"/api/v1/admin/dead-letters/{event_id}/replay", headers=admin.headers
        )
        assert again.status_code == 404


class TestDeadLetterEndpoints:
    async def test_citizens_and_gates_are_refused(self, api: Api) -> None:
        citizen = await api.citizen()
        gate = await api.gate()
        for headers, expected in ((citizen.headers, 403), (gate.headers, 401), ({}, 401)):
            listed = await api.client.get("/api/v1/admin/dead-letters", headers=headers)
            replayed = await api.client.post("/api/v1/admin/dead-letters/x/replay", headers=headers)
            assert listed.status_code == expected
            assert replayed.status_code == expected

    async def test_bad_cursor_is_a_validation_error(self, api: Api) -> None:
        admin = await api.admin()
        response = await api.client.get(
            "/api/v1/admin/dead-letters?cursor=nonsense", headers=admin.headers
        )
        assert response.status_code == 422
