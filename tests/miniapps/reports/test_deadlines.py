"""Deadlines and the report per region, on the SDK's clock stopped and moved by hand."""

from __future__ import annotations

from datetime import timedelta

from miniapps.registry import app_context, get_registry
from miniapps.reports.escalation import escalate_overdue
from miniapps.sdk import local_today
from tests.app.portal import in_app
from tests.helpers import Api, problem
from tests.miniapps.clock import stopped_at_noon
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


async def run_escalation(api: Api) -> None:
    """The job as the scheduler runs it: with the app's own context."""
    loaded = get_registry().get("reports")
    assert loaded is not None
    await in_app(api.client, escalate_overdue, app_context(loaded))


class TestEscalation:
    async def test_an_overdue_event_escalates_to_the_district_once(self, api: Api) -> None:
        citizen = await subscribed_citizen(api)
        place = new_place()
        with stopped_at_noon() as clock:
            event = await report(api, citizen, place, "safety")  # 6 hours
            duplicate = await report(api, await api.citizen(), place.moved(5), "safety")
            clock.advance(hours=5, minutes=59)
            await run_escalation(api)
            assert (await view(api, citizen, event["id"]))["level"] == "grid"
            clock.advance(minutes=2)
            await run_escalation(api)
            await run_escalation(api)  # at least once: a second run changes nothing
            seen = await view(api, citizen, event["id"])
        assert seen["level"] == "district"
        assert [s["kind"] for s in seen["steps"]] == ["reported", "escalated"]
        assert any(t.startswith("已升级") for t in await inbox_titles(api, citizen))
        district = await worker_of(api, place.region_code, level="district")
        queued = await api.client.get(f"{BASE}/staff/queue", headers=district.headers)
        assert [e["id"] for e in queued.json()["items"]] == [event["id"]]
        assert duplicate["id"] not in [e["id"] for e in queued.json()["items"]]

    async def test_a_district_desk_sees_only_what_was_escalated(self, api: Api) -> None:
        place = new_place()
        await report(api, await api.citizen(), place)
        district = await worker_of(api, place.region_code, level="district")
        queued = await api.client.get(f"{BASE}/staff/queue", headers=district.headers)
        assert queued.json()["items"] == []

    async def test_resolved_events_never_escalate(self, api: Api) -> None:
        citizen = await api.citizen()
        place = new_place()
        with stopped_at_noon() as clock:
            event = await report(api, citizen, place, "safety")
            worker = await worker_of(api, place.region_code)
            await act(api, worker, event["id"], "take")
            await act(api, worker, event["id"], "resolve", {"note": "围挡已设"})
            clock.advance(hours=7)
            await run_escalation(api)
            seen = await view(api, citizen, event["id"])
        assert seen["level"] == "grid" and seen["overdue"] is False

    def test_the_job_is_registered_to_run_every_five_minutes(self, client: object) -> None:
        from app.jobs import PERIODIC

        assert PERIODIC["miniapps.reports.escalation.escalate_overdue"].every == 300


class TestRegionReport:
    async def test_closure_rate_and_median_time_to_close(self, api: Api) -> None:
        citizen = await api.citizen()
        place = new_place()
        worker = await worker_of(api, place.region_code)
        with stopped_at_noon() as clock:
            fast = await report(api, citizen, place)
            slow = await report(api, citizen, place.moved(300))
            await report(api, citizen, place.moved(600), "safety")
            await report(api, await api.citizen(), place.moved(610), "safety")  # merged
            for event in (fast, slow):
                await act(api, worker, event["id"], "take")
            clock.advance(minutes=30)
            await act(api, worker, fast["id"], "resolve", {"note": "ok"})
            clock.advance(minutes=60)
            await act(api, worker, slow["id"], "resolve", {"note": "ok"})
            clock.advance(hours=6)  # the safety event is past its 6 hours
            response = await api.client.get(
                f"{BASE}/staff/report", params={"region": place.region_code}, headers=worker.headers
            )
        assert response.status_code == 200, response.text
        total = response.json()["total"]
        assert total == {
            "region_code": place.region_code,
            "reported": 3,
            "closed": 2,
            "closure_rate": 0.6667,
            "median_minutes_to_close": 60.0,  # 30 and 90 minutes
            "open_overdue": 1,
            "escalated": 0,
            "merged": 1,
        }
        assert response.json()["districts"] == [total]

    async def test_a_report_of_some_days_counts_the_events_reported_then(self, api: Api) -> None:
        citizen = await api.citizen()
        place = new_place()
        worker = await worker_of(api, place.region_code)
        with stopped_at_noon() as clock:
            await report(api, citizen, place)
            clock.advance(days=2)
            await report(api, citizen, place.moved(300))
            today = local_today().isoformat()
            yesterday = (local_today() - timedelta(days=1)).isoformat()

            async def reported(**days: str) -> int:
                response = await api.client.get(
                    f"{BASE}/staff/report",
                    params={"region": place.region_code, **days},
                    headers=worker.headers,
                )
                assert response.status_code == 200, response.text
                count: int = response.json()["total"]["reported"]
                return count

            assert await reported() == 2
            assert await reported(**{"from": today}) == 1
            assert await reported(to=yesterday) == 1
            assert await reported(**{"from": yesterday, "to": yesterday}) == 0
            backwards = await api.client.get(
                f"{BASE}/staff/report",
                params={"region": place.region_code, "from": today, "to": yesterday},
                headers=worker.headers,
            )
            problem(backwards, 422, "validation_error")

    async def test_a_city_report_lists_its_districts(self, api: Api) -> None:
        city = "330100"
        admin = await api.admin()
        response = await api.client.get(
            f"{BASE}/staff/report", params={"region": city}, headers=admin.headers
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["total"]["region_code"] == city
        assert all(d["region_code"].startswith("3301") for d in body["districts"])
        assert body["total"]["reported"] == sum(d["reported"] for d in body["districts"])

    async def test_a_bad_region_is_refused(self, api: Api) -> None:
        admin = await api.admin()
        for params in ({"region": "3301"}, {}, {"region": "330100", "from": "2026-13-01"}):
            response = await api.client.get(
                f"{BASE}/staff/report", params=params, headers=admin.headers
            )
            problem(response, 422, "validation_error")

    async def test_staff_see_their_own_regions_only(self, api: Api) -> None:
        place = new_place()
        worker = await worker_of(api, place.region_code)
        other = new_place().region_code
        response = await api.client.get(
            f"{BASE}/staff/report", params={"region": other}, headers=worker.headers
        )
        problem(response, 403, "forbidden")
        citizen = await api.citizen()
        response = await api.client.get(
            f"{BASE}/staff/report", params={"region": place.region_code}, headers=citizen.headers
        )
        problem(response, 403, "forbidden")
