"""Journey: a missing manhole cover, from the citizen's report to their rating (掌上基层).

A platform admin appoints two grid workers, one in each of two neighbouring districts. A
citizen reports the hole with a photo (whose GPS position never reaches anyone); a neighbour
reports it again and is merged into the first report. The first district's worker takes it
and sees it is the next district's road; that district's worker takes and resolves it. Both
reporters are told at every step, and the first rates the outcome. A street light left
unattended escalates to the district's desk when its deadline passes; the city's report
shows what was closed and how fast.
"""

from __future__ import annotations

import io

from PIL import Image

from miniapps.registry import app_context, get_registry
from miniapps.reports.escalation import escalate_overdue
from tests.app.portal import in_app
from tests.helpers import Api, Citizen, problem
from tests.journeys.actors import grant
from tests.miniapps.clock import stopped_at_noon
from tests.miniapps.reports.conftest import (
    BASE,
    GPS_IFD,
    b64,
    event_body,
    inbox_titles,
    jpeg,
    new_place,
)


async def _appoint(api: Api, phone: str, region: str, level: str = "grid") -> None:
    admin = await api.admin()
    found = await api.client.get(
        "/api/v1/admin/citizens", params={"phone": phone}, headers=admin.headers
    )
    assert found.status_code == 200, found.text
    citizen_id = found.json()["items"][0]["id"]
    appointed = await api.client.put(
        f"{BASE}/admin/workers/{citizen_id}",
        json={"regions": [{"region_code": region, "level": level}]},
        headers=admin.headers,
    )
    assert appointed.status_code == 200, appointed.text


async def _follow(api: Api, citizen: Citizen) -> None:
    await grant(api, citizen, "reports", "notify.send")
    subscribed = await api.client.post(
        f"{BASE}/subscriptions", json={"templates": ["reports.update"]}, headers=citizen.headers
    )
    assert subscribed.status_code == 201, subscribed.text


async def test_a_report_to_the_grid(api: Api) -> None:
    client = api.client
    here, next_door = new_place(), new_place()
    worker, neighbour_worker = await api.citizen(name="网格员"), await api.citizen(name="邻区员")
    desk = await api.citizen(name="区中心")
    await _appoint(api, worker.phone, here.region_code)
    await _appoint(api, neighbour_worker.phone, next_door.region_code)
    await _appoint(api, desk.phone, here.region_code, "district")

    reporter, neighbour = await api.citizen(name="陈静"), await api.citizen(name="林峰")
    for person in (reporter, neighbour):
        await _follow(api, person)
    categories = await client.get(f"{BASE}/categories")
    assert {
        "code": "road",
        "name": "道路破损 Damaged road",
        "deadline_hours": 72,
    } in categories.json()

    with stopped_at_noon() as clock:
        reported = await client.post(
            f"{BASE}/events",
            json=event_body(here, photos=[b64(jpeg(with_gps=True))]),
            headers=reporter.headers,
        )
        assert reported.status_code == 201, reported.text
        event = reported.json()
        again = await client.post(
            f"{BASE}/events", json=event_body(here.moved(15)), headers=neighbour.headers
        )
        assert again.json()["merged_into"] == event["id"]

        queue = await client.get(f"{BASE}/staff/queue", headers=worker.headers)
        assert [e["id"] for e in queue.json()["items"]] == [event["id"]]
        assert queue.json()["items"][0]["duplicates"] == 1
        photo = await client.get(event["photos"][0]["url"], headers=worker.headers)
        assert not Image.open(io.BytesIO(photo.content)).getexif().get_ifd(GPS_IFD)
        stranger = await api.citizen()
        problem(
            await client.get(event["photos"][0]["url"], headers=stranger.headers), 404, "not_found"
        )

        clock.advance(minutes=20)
        taken = await client.post(f"{BASE}/events/{event['id']}/take", headers=worker.headers)
        assert taken.status_code == 200, taken.text
        moved = await client.post(
            f"{BASE}/events/{event['id']}/transfer",
            json={
                "region_code": next_door.region_code,
                "note": "邻区道路 The next district's road",
            },
            headers=worker.headers,
        )
        assert moved.json()["status"] == "open"
        clock.advance(minutes=40)
        for action, body in (("take", None), ("resolve", {"note": "井盖已补 Cover replaced"})):
            done = await client.post(
                f"{BASE}/events/{event['id']}/{action}", json=body, headers=neighbour_worker.headers
            )
            assert done.status_code == 200, done.text
        assert [s["kind"] for s in done.json()["steps"]] == [
            "reported",
            "taken",
            "transferred",
            "taken",
            "resolved",
        ]

        theirs = await client.get(f"{BASE}/events/{again.json()['id']}", headers=neighbour.headers)
        assert theirs.json()["status"] == "resolved"
        rated = await client.post(
            f"{BASE}/events/{event['id']}/rating",
            json={"rating": 5, "comment": "一小时就修好"},
            headers=reporter.headers,
        )
        assert rated.json()["rating"] == 5

        # A street light nobody takes in time goes to the district's desk.
        light = await client.post(
            f"{BASE}/events", json=event_body(here.moved(400), "lighting"), headers=reporter.headers
        )
        clock.advance(hours=49)
        loaded = get_registry().get("reports")
        assert loaded is not None
        await in_app(client, escalate_overdue, app_context(loaded))
        at_desk = await client.get(f"{BASE}/staff/queue", headers=desk.headers)
        assert [e["id"] for e in at_desk.json()["items"]] == [light.json()["id"]]

        report = await client.get(
            f"{BASE}/staff/report",
            params={"region": next_door.region_code},
            headers=neighbour_worker.headers,
        )
    assert report.json()["total"]["closed"] == 1
    assert report.json()["total"]["median_minutes_to_close"] == 60.0

    titles = await inbox_titles(api, reporter)
    for step in ("已受理", "处理中", "已转办", "已办结", "感谢评价", "已升级"):
        assert any(t.startswith(step) for t in titles), (step, titles)
    assert any(t.startswith("已合并") for t in await inbox_titles(api, neighbour))
