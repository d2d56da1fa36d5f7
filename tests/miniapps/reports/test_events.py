"""A citizen reports events, follows them and rates the outcome (over HTTP)."""

from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from PIL import Image

from tests.helpers import Api, problem
from tests.journeys.actors import device
from tests.miniapps.reports.conftest import (
    BASE,
    GPS_IFD,
    act,
    b64,
    event_body,
    jpeg,
    new_place,
    png,
    report,
    view,
    worker_of,
)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


async def _count_mine(api: Api, headers: dict[str, str]) -> int:
    response = await api.client.get(f"{BASE}/events", headers=headers)
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


class TestCategories:
    async def test_anyone_sees_the_categories_and_their_deadlines(self, api: Api) -> None:
        from miniapps.reports.categories import CATEGORIES
        from miniapps.reports.schemas import Category

        response = await api.client.get(f"{BASE}/categories")
        assert response.status_code == 200
        assert {c["code"]: c["deadline_hours"] for c in response.json()}["safety"] == 6
        assert set(CATEGORIES) == set(Category.__args__)  # the schema and the data agree


class TestReportEvent:
    async def test_a_report_is_open_in_its_region_with_its_deadline(self, api: Api) -> None:
        citizen = await api.citizen()
        place = new_place()
        event = await report(api, citizen, place, "lighting", photos=[b64(jpeg())])
        assert event["status"] == "open" and event["level"] == "grid"
        assert event["region_code"] == place.region_code and event["mine"] is True
        assert abs(event["latitude"] - place.latitude) < 1e-6
        deadline = _instant(event["deadline_at"]) - _instant(event["created_at"])
        assert deadline == timedelta(hours=48)  # street lights: 48 hours
        assert [s["kind"] for s in event["steps"]] == ["reported"]
        assert [p["content_type"] for p in event["photos"]] == ["image/jpeg"]

    async def test_a_photo_comes_back_without_its_gps_position(self, api: Api) -> None:
        citizen = await api.citizen()
        original = jpeg(with_gps=True)
        assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # it had one
        event = await report(api, citizen, new_place(), photos=[b64(original), b64(png())])
        first = await api.client.get(event["photos"][0]["url"], headers=citizen.headers)
        assert first.status_code == 200 and first.headers["content-type"] == "image/jpeg"
        served = Image.open(io.BytesIO(first.content))
        assert served.format == "JPEG" and served.size == (64, 48)
        assert not served.getexif().get_ifd(GPS_IFD)
        assert len(served.getexif()) == 0  # no camera make either
        second = await api.client.get(event["photos"][1]["url"], headers=citizen.headers)
        assert second.headers["content-type"] == "image/png"
        assert Image.open(io.BytesIO(second.content)).format == "PNG"

    async def test_a_report_at_an_open_events_spot_is_merged_into_it(self, api: Api) -> None:
        first, second = await api.citizen(), await api.citizen()
        place = new_place()
        original = await report(api, first, place, "sanitation")
        again = await report(api, second, place.moved(30), "sanitation")
        assert again["status"] == "merged" and again["merged_into"] == original["id"]
        assert [s["kind"] for s in again["steps"]] == ["reported", "merged"]
        assert again["deadline_at"] == original["deadline_at"]
        assert (await view(api, first, original["id"]))["duplicates"] == 1

    async def test_another_category_or_a_farther_spot_is_a_new_event(self, api: Api) -> None:
        citizen = await api.citizen()
        place = new_place()
        await report(api, citizen, place, "noise")
        other_kind = await report(api, citizen, place, "road")
        farther = await report(api, citizen, place.moved(200), "noise")
        assert other_kind["status"] == "open" and farther["status"] == "open"

    async def test_a_retry_with_the_same_key_is_the_same_report(self, api: Api) -> None:
        citizen = await api.citizen()
        headers = {**citizen.headers, "Idempotency-Key": uuid.uuid4().hex}
        body = event_body(new_place())
        first = await api.client.post(f"{BASE}/events", json=body, headers=headers)
        retry = await api.client.post(f"{BASE}/events", json=body, headers=headers)
        assert first.status_code == retry.status_code == 201
        assert retry.json()["id"] == first.json()["id"]
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert await _count_mine(api, citizen.headers) == 1

    async def test_past_ten_reports_an_hour_the_citizen_is_told_to_wait(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # The limiter's window is fixed in real time: hold its clock mid-window, so that the
        # eleventh report cannot fall into a new hour whenever the suite runs.
        from app import ratelimit

        held = SimpleNamespace(time=lambda: 1_800_000_000.0 + 1_800)
        monkeypatch.setattr(ratelimit, "time", held)
        citizen = await api.citizen()
        for _ in range(10):
            await report(api, citizen, new_place())
        refused = await api.client.post(
            f"{BASE}/events", json=event_body(new_place()), headers=citizen.headers
        )
        problem(refused, 429, "rate_limited")
        assert int(refused.headers["Retry-After"]) > 0
        assert await _count_mine(api, citizen.headers) == 10
        other = await api.citizen()  # the limit is per citizen
        await report(api, other, new_place())

    async def test_bad_fields_are_refused_with_nothing_written(self, api: Api) -> None:
        citizen = await api.citizen()
        place = new_place()
        for bad in (
            {"category": "parking"},
            {"region_code": "33010"},
            {"region_code": "033010"},
            {"latitude": 60.0},
            {"text": ""},
            {"photos": [b64(jpeg())] * 4},
            {"extra": 1},
        ):
            response = await api.client.post(
                f"{BASE}/events", json=event_body(place, **bad), headers=citizen.headers
            )
            problem(response, 422, "validation_error")
        blank = await api.client.post(
            f"{BASE}/events", json=event_body(place, text="   "), headers=citizen.headers
        )
        problem(blank, 422, "validation_error")
        assert await _count_mine(api, citizen.headers) == 0

    async def test_what_is_not_an_accepted_image_is_refused(self, api: Api) -> None:
        citizen = await api.citizen()
        gif = io.BytesIO()
        Image.new("RGB", (4, 4)).save(gif, format="GIF")
        for photo in (
            b64(b"not an image at all"),
            b64(gif.getvalue()),
            b64(jpeg()[:100]),  # truncated
            "***not base64***",
            b64(b"\xff\xd8" + b"\0" * (2 * 1024 * 1024 + 1)),  # over 2 MB
        ):
            response = await api.client.post(
                f"{BASE}/events",
                json=event_body(new_place(), photos=[b64(jpeg()), photo]),
                headers=citizen.headers,
            )
            body = problem(response, 422, "invalid_photo")
            assert body["errors"][0]["field"] == "photos[1]"
        assert await _count_mine(api, citizen.headers) == 0

    async def test_only_a_signed_in_citizen_reports(self, api: Api) -> None:
        body = event_body(new_place())
        problem(await api.client.post(f"{BASE}/events", json=body), 401, "unauthorized")
        gate = await device(api, "metro")
        response = await api.client.post(f"{BASE}/events", json=body, headers=gate.headers)
        problem(response, 403, "forbidden")


class TestMyEvents:
    async def test_a_citizen_lists_their_own_newest_first_by_pages(self, api: Api) -> None:
        citizen, other = await api.citizen(), await api.citizen()
        older = await report(api, citizen, new_place())
        newer = await report(api, citizen, new_place())
        await report(api, other, new_place())
        page = await api.client.get(f"{BASE}/events?limit=1", headers=citizen.headers)
        assert [e["id"] for e in page.json()["items"]] == [newer["id"]]
        rest = await api.client.get(
            f"{BASE}/events", params={"cursor": page.json()["next_cursor"]}, headers=citizen.headers
        )
        assert [e["id"] for e in rest.json()["items"]] == [older["id"]]
        assert rest.json()["next_cursor"] is None

    async def test_a_bad_cursor_or_limit_is_refused(self, api: Api) -> None:
        citizen = await api.citizen()
        for params in ({"cursor": "nonsense"}, {"limit": "0"}):
            response = await api.client.get(
                f"{BASE}/events", params=params, headers=citizen.headers
            )
            problem(response, 422, "validation_error")

    async def test_nobody_signed_in_has_no_list(self, api: Api) -> None:
        problem(await api.client.get(f"{BASE}/events"), 401, "unauthorized")


class TestViewEvent:
    async def test_the_reporter_the_regions_staff_and_admins_see_it(self, api: Api) -> None:
        citizen = await api.citizen()
        place = new_place()
        event = await report(api, citizen, place)
        worker = await worker_of(api, place.region_code)
        city_desk = await worker_of(api, place.region_code[:4] + "00")
        for who in (citizen, worker, city_desk, await api.admin()):
            seen = await view(api, who, event["id"])
            assert seen["id"] == event["id"] and seen["mine"] is (who is citizen)

    async def test_anyone_else_is_told_it_does_not_exist(self, api: Api) -> None:
        citizen = await api.citizen()
        event = await report(api, citizen, new_place())
        stranger = await api.citizen()
        elsewhere = await worker_of(api, new_place().region_code)
        for who in (stranger, elsewhere):
            response = await api.client.get(f"{BASE}/events/{event['id']}", headers=who.headers)
            problem(response, 404, "not_found")
        unknown = await api.client.get(f"{BASE}/events/{uuid.uuid4()}", headers=citizen.headers)
        problem(unknown, 404, "not_found")
        problem(await api.client.get(f"{BASE}/events/{event['id']}"), 401, "unauthorized")


class TestEventPhoto:
    async def test_served_to_the_reporter_staff_and_admins_only(self, api: Api) -> None:
        citizen = await api.citizen()
        place = new_place()
        event = await report(api, citizen, place, photos=[b64(jpeg())])
        url = event["photos"][0]["url"]
        worker = await worker_of(api, place.region_code)
        for who in (citizen, worker, await api.admin()):
            response = await api.client.get(url, headers=who.headers)
            assert response.status_code == 200 and response.content[:2] == b"\xff\xd8"
            assert response.headers["cache-control"] == "private, no-store"
        for who in (await api.citizen(), await worker_of(api, new_place().region_code)):
            problem(await api.client.get(url, headers=who.headers), 404, "not_found")
        problem(await api.client.get(url), 401, "unauthorized")

    async def test_an_unknown_photo_is_not_found(self, api: Api) -> None:
        citizen = await api.citizen()
        event = await report(api, citizen, new_place())
        response = await api.client.get(
            f"{BASE}/events/{event['id']}/photos/{uuid.uuid4()}", headers=citizen.headers
        )
        problem(response, 404, "not_found")


class TestRateOutcome:
    async def test_the_reporter_rates_a_resolved_event_once(self, api: Api) -> None:
        citizen = await api.citizen()
        place = new_place()
        event = await report(api, citizen, place)
        early = await api.client.post(
            f"{BASE}/events/{event['id']}/rating", json={"rating": 5}, headers=citizen.headers
        )
        problem(early, 409, "event_not_resolved")
        worker = await worker_of(api, place.region_code)
        await act(api, worker, event["id"], "take")
        await act(api, worker, event["id"], "resolve", {"note": "井盖已补"})
        rated = await act(api, citizen, event["id"], "rating", {"rating": 4, "comment": "快"})
        assert rated["rating"] == 4 and rated["steps"][-1]["kind"] == "rated"
        again = await api.client.post(
            f"{BASE}/events/{event['id']}/rating", json={"rating": 1}, headers=citizen.headers
        )
        problem(again, 409, "already_rated")
        assert (await view(api, citizen, event["id"]))["rating"] == 4

    async def test_a_bad_rating_is_refused(self, api: Api) -> None:
        citizen = await api.citizen()
        event = await report(api, citizen, new_place())
        for bad in ({"rating": 0}, {"rating": 6}, {"rating": "good"}, {}):
            response = await api.client.post(
                f"{BASE}/events/{event['id']}/rating", json=bad, headers=citizen.headers
            )
            problem(response, 422, "validation_error")

    async def test_nobody_but_the_reporter_rates(self, api: Api) -> None:
        citizen = await api.citizen()
        place = new_place()
        event = await report(api, citizen, place)
        worker = await worker_of(api, place.region_code)
        await act(api, worker, event["id"], "take")
        await act(api, worker, event["id"], "resolve", {"note": "done"})
        for who in (worker, await api.citizen()):
            response = await api.client.post(
                f"{BASE}/events/{event['id']}/rating", json={"rating": 5}, headers=who.headers
            )
            problem(response, 404, "not_found")


class TestNothingHalfWritten:
    async def test_photos_are_removed_when_the_event_is_not_written(
        self, api: Api, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from miniapps.reports import events
        from miniapps.sdk import Conflict
        from miniapps.sdk_files import LocalFileStore, get_file_store

        store = get_file_store()
        assert isinstance(store, LocalFileStore)

        def kept() -> set[str]:
            return {str(p) for p in store.root.rglob("*") if p.is_file()}

        async def failing(*args: object) -> None:
            raise Conflict("the database refused it")

        citizen = await api.citizen()
        before = kept()
        monkeypatch.setattr(events, "_insert", failing)
        response = await api.client.post(
            f"{BASE}/events",
            json=event_body(new_place(), photos=[b64(jpeg()), b64(png())]),
            headers=citizen.headers,
        )
        problem(response, 409, "conflict")
        assert kept() == before
        assert await _count_mine(api, citizen.headers) == 0
