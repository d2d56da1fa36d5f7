"""The grid works the queue: take, transfer, resolve; the reporter is told at each step."""

from __future__ import annotations

import uuid

from tests.app.portal import concurrently
from tests.helpers import Api, Citizen, problem
from tests.journeys.actors import device
from tests.miniapps.reports.conftest import (
    BASE,
    act,
    inbox_titles,
    new_place,
    report,
    subscribed_citizen,
    view,
    worker_of,
)


async def _queue(api: Api, who: Citizen, **params: str) -> list[str]:
    response = await api.client.get(
        f"{BASE}/staff/queue",
        params=params,
        headers=who.headers,
    )
    assert response.status_code == 200, response.text
    return [e["id"] for e in response.json()["items"]]


class TestQueue:
    async def test_a_worker_sees_the_open_events_of_their_regions_oldest_first(
        self, api: Api
    ) -> None:
        citizen = await api.citizen()
        place, elsewhere = new_place(), new_place()
        first = await report(api, citizen, place)
        second = await report(api, citizen, place.moved(500))
        other = await report(api, citizen, elsewhere)
        worker = await worker_of(api, place.region_code)
        assert await _queue(api, worker) == [first["id"], second["id"]]
        assert other["id"] not in await _queue(api, worker)
        assert await _queue(api, worker, limit="1") == [first["id"]]
        await act(api, worker, first["id"], "take")
        assert await _queue(api, worker, status="open") == [second["id"]]
        assert await _queue(api, worker, status="taken") == [first["id"]]

    async def test_the_admin_queue_is_city_wide(self, api: Api) -> None:
        citizen = await api.citizen()
        event = await report(api, citizen, new_place())
        admin = await api.admin()
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params = {"status": "open", "limit": "200", **({"cursor": cursor} if cursor else {})}
            response = await api.client.get(
                f"{BASE}/staff/queue", params=params, headers=admin.headers
            )
            seen += [e["id"] for e in response.json()["items"]]
            cursor = response.json()["next_cursor"]
            if cursor is None:
                break
        assert event["id"] in seen

    async def test_merged_duplicates_are_not_queued_twice(self, api: Api) -> None:
        place = new_place()
        original = await report(api, await api.citizen(), place)
        await report(api, await api.citizen(), place.moved(10))
        worker = await worker_of(api, place.region_code)
        assert await _queue(api, worker) == [original["id"]]

    async def test_bad_filters_are_refused(self, api: Api) -> None:
        worker = await worker_of(api, new_place().region_code)
        for params in ({"status": "resolved"}, {"level": "city"}, {"cursor": "x"}):
            response = await api.client.get(
                f"{BASE}/staff/queue", params=params, headers=worker.headers
            )
            problem(response, 422, "validation_error")

    async def test_only_staff_have_a_queue(self, api: Api) -> None:
        citizen = await api.citizen()
        problem(
            await api.client.get(f"{BASE}/staff/queue", headers=citizen.headers), 403, "forbidden"
        )
        problem(await api.client.get(f"{BASE}/staff/queue"), 401, "unauthorized")
        gate = await device(api, "metro")
        problem(await api.client.get(f"{BASE}/staff/queue", headers=gate.headers), 403, "forbidden")


class TestTakeEvent:
    async def test_a_worker_takes_an_open_event_and_the_reporter_is_told(self, api: Api) -> None:
        citizen = await subscribed_citizen(api)
        place = new_place()
        event = await report(api, citizen, place)
        worker = await worker_of(api, place.region_code)
        taken = await act(api, worker, event["id"], "take")
        assert taken["status"] == "taken" and taken["taken_at"] is not None
        assert [(s["kind"], s["actor"]) for s in taken["steps"]][-1] == ("taken", "worker")
        titles = await inbox_titles(api, citizen)
        assert any(t.startswith("处理中") for t in titles)
        assert any(t.startswith("已受理") for t in titles)

    async def test_an_event_is_taken_once_even_by_two_at_once(self, api: Api) -> None:
        place = new_place()
        event = await report(api, await api.citizen(), place)
        one, two = await worker_of(api, place.region_code), await worker_of(api, place.region_code)
        answers = await concurrently(
            api.client,
            [
                {"method": "POST", "url": f"{BASE}/events/{event['id']}/take", "headers": w.headers}
                for w in (one, two)
            ],
        )
        assert sorted(a.status_code for a in answers) == [200, 409]
        loser = next(a for a in answers if a.status_code == 409)
        problem(loser, 409, "event_not_open")
        steps = (await view(api, one, event["id"]))["steps"]
        assert [s["kind"] for s in steps].count("taken") == 1

    async def test_nobody_but_the_regions_staff_takes_it(self, api: Api) -> None:
        citizen = await api.citizen()
        event = await report(api, citizen, new_place())
        url = f"{BASE}/events/{event['id']}/take"
        problem(await api.client.post(url, headers=citizen.headers), 403, "forbidden")
        elsewhere = await worker_of(api, new_place().region_code)
        problem(await api.client.post(url, headers=elsewhere.headers), 404, "not_found")
        problem(await api.client.post(url), 401, "unauthorized")
        unknown = f"{BASE}/events/{uuid.uuid4()}/take"
        problem(await api.client.post(unknown, headers=elsewhere.headers), 404, "not_found")
        assert (await view(api, citizen, event["id"]))["status"] == "open"


class TestTransferEvent:
    async def test_an_event_moves_to_another_regions_queue(self, api: Api) -> None:
        citizen = await subscribed_citizen(api)
        place, other = new_place(), new_place()
        event = await report(api, citizen, place)
        worker = await worker_of(api, place.region_code)
        await act(api, worker, event["id"], "take")
        moved = await act(
            api,
            worker,
            event["id"],
            "transfer",
            {"region_code": other.region_code, "note": "属邻区管辖 The next district's road"},
        )
        assert moved["region_code"] == other.region_code and moved["status"] == "open"
        assert moved["steps"][-1]["region_code"] == other.region_code
        assert event["id"] not in await _queue(api, worker)
        there = await worker_of(api, other.region_code)
        assert await _queue(api, there) == [event["id"]]
        problem(
            await api.client.get(f"{BASE}/events/{event['id']}", headers=worker.headers),
            404,
            "not_found",
        )
        assert any(t.startswith("已转办") for t in await inbox_titles(api, citizen))

    async def test_bad_transfers_are_refused(self, api: Api) -> None:
        place = new_place()
        event = await report(api, await api.citizen(), place)
        worker = await worker_of(api, place.region_code)
        url = f"{BASE}/events/{event['id']}/transfer"
        for bad in (
            {"region_code": place.region_code, "note": "same"},
            {"region_code": "12345", "note": "x"},
            {"region_code": new_place().region_code, "note": ""},
            {"region_code": new_place().region_code},
        ):
            problem(
                await api.client.post(url, json=bad, headers=worker.headers),
                422,
                "validation_error",
            )
        assert (await view(api, worker, event["id"]))["region_code"] == place.region_code

    async def test_another_workers_event_and_a_resolved_one_stay_put(self, api: Api) -> None:
        place = new_place()
        event = await report(api, await api.citizen(), place)
        holder, colleague = (
            await worker_of(api, place.region_code),
            await worker_of(api, place.region_code),
        )
        await act(api, holder, event["id"], "take")
        body = {"region_code": new_place().region_code, "note": "not ours"}
        url = f"{BASE}/events/{event['id']}/transfer"
        problem(
            await api.client.post(url, json=body, headers=colleague.headers), 403, "not_your_event"
        )
        await act(api, holder, event["id"], "resolve", {"note": "done"})
        problem(await api.client.post(url, json=body, headers=holder.headers), 409, "event_closed")

    async def test_a_citizen_transfers_nothing(self, api: Api) -> None:
        citizen = await api.citizen()
        event = await report(api, citizen, new_place())
        response = await api.client.post(
            f"{BASE}/events/{event['id']}/transfer",
            json={"region_code": new_place().region_code, "note": "mine"},
            headers=citizen.headers,
        )
        problem(response, 403, "forbidden")


class TestResolveEvent:
    async def test_resolving_closes_the_event_and_its_duplicates(self, api: Api) -> None:
        first, second = await subscribed_citizen(api), await subscribed_citizen(api)
        place = new_place()
        event = await report(api, first, place, "drainage")
        duplicate = await report(api, second, place.moved(20), "drainage")
        worker = await worker_of(api, place.region_code)
        await act(api, worker, event["id"], "take")
        done = await act(api, worker, event["id"], "resolve", {"note": "已疏通 Drain cleared"})
        assert done["status"] == "resolved" and done["resolution"] == "已疏通 Drain cleared"
        assert [s["kind"] for s in done["steps"]] == ["reported", "taken", "resolved"]
        theirs = await view(api, second, duplicate["id"])
        assert theirs["status"] == "resolved" and theirs["resolution"] == done["resolution"]
        for citizen in (first, second):
            assert any(t.startswith("已办结") for t in await inbox_titles(api, citizen))

    async def test_an_event_must_be_taken_and_resolved_once(self, api: Api) -> None:
        place = new_place()
        event = await report(api, await api.citizen(), place)
        worker = await worker_of(api, place.region_code)
        url = f"{BASE}/events/{event['id']}/resolve"
        note = {"note": "done"}
        problem(
            await api.client.post(url, json=note, headers=worker.headers), 409, "event_not_taken"
        )
        await act(api, worker, event["id"], "take")
        problem(
            await api.client.post(url, json={"note": ""}, headers=worker.headers),
            422,
            "validation_error",
        )
        await act(api, worker, event["id"], "resolve", note)
        problem(await api.client.post(url, json=note, headers=worker.headers), 409, "event_closed")

    async def test_only_the_worker_who_took_it_or_an_admin_resolves(self, api: Api) -> None:
        citizen = await api.citizen()
        place = new_place()
        event = await report(api, citizen, place)
        holder, colleague = (
            await worker_of(api, place.region_code),
            await worker_of(api, place.region_code),
        )
        await act(api, holder, event["id"], "take")
        url = f"{BASE}/events/{event['id']}/resolve"
        note = {"note": "done"}
        problem(
            await api.client.post(url, json=note, headers=colleague.headers), 403, "not_your_event"
        )
        problem(await api.client.post(url, json=note, headers=citizen.headers), 403, "forbidden")
        done = await act(api, await api.admin(), event["id"], "resolve", note)
        assert done["steps"][-1]["actor"] == "admin"
