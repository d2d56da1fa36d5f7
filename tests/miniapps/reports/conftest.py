"""Reports fixtures: places no other test uses, photos with and without GPS, and staff.

Duplicates are merged by place (category, 50 m) and queues are by region, so every test
reports at a spot and in a district of its own (`Place`), whatever else the suite reported.
"""

from __future__ import annotations

import base64
import io
import itertools
import random
from dataclasses import dataclass
from typing import Any

from PIL import Image

from tests.helpers import Api, Citizen
from tests.journeys.actors import grant

BASE = "/api/v1/miniapps/reports"
_spots = itertools.count(random.randrange(0, 2_000))
_districts = itertools.count(random.randrange(0, 5_000))
GPS_IFD = 0x8825


@dataclass(frozen=True)
class Place:
    region_code: str
    latitude: float
    longitude: float

    def moved(self, metres: float) -> Place:
        """The same district, `metres` further north."""
        return Place(self.region_code, self.latitude + metres / 111_195, self.longitude)


def new_district() -> str:
    """A six-digit district code no other test uses (within Zhejiang's and Hubei's ranges)."""
    n = next(_districts)  # never ending in 00: that would be a city, covering others
    return f"{41 + n // 9_000 % 20}{n // 90 % 100:02d}{10 + n % 90:02d}"


def new_place() -> Place:
    n = next(_spots)
    return Place(new_district(), round(20.0 + (n % 3_000) * 0.01, 6), 120.1 + (n // 3_000) * 0.5)


def jpeg(with_gps: bool = False, size: tuple[int, int] = (64, 48)) -> bytes:
    image = Image.new("RGB", size, (200, 80, 40))
    out = io.BytesIO()
    if with_gps:
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        gps = exif.get_ifd(GPS_IFD)
        gps[1], gps[2] = "N", (30.0, 15.0, 10.0)  # GPSLatitudeRef, GPSLatitude
        gps[3], gps[4] = "E", (120.0, 9.0, 30.0)
        image.save(out, format="JPEG", exif=exif)
    else:
        image.save(out, format="JPEG")
    return out.getvalue()


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 128)).save(out, format="PNG")
    return out.getvalue()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def event_body(place: Place, category: str = "road", **extra: Any) -> dict[str, Any]:
    return {
        "category": category,
        "text": "人行道井盖缺失 A manhole cover is missing",
        "region_code": place.region_code,
        "latitude": place.latitude,
        "longitude": place.longitude,
        **extra,
    }


async def report(
    api: Api, citizen: Citizen, place: Place, category: str = "road", **extra: Any
) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/events", json=event_body(place, category, **extra), headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def subscribed_citizen(api: Api) -> Citizen:
    """A citizen who will be notified of every step (granted notify.send, subscribed)."""
    citizen = await api.citizen()
    await grant(api, citizen, "reports", "notify.send")
    response = await api.client.post(
        f"{BASE}/subscriptions", json={"templates": ["reports.update"]}, headers=citizen.headers
    )
    assert response.status_code == 201, response.text
    return citizen


async def assign(api: Api, citizen: Citizen, *regions: str, level: str = "grid") -> None:
    admin = await api.admin()
    response = await api.client.put(
        f"{BASE}/admin/workers/{citizen.id}",
        json={"regions": [{"region_code": r, "level": level} for r in regions]},
        headers=admin.headers,
    )
    assert response.status_code == 200, response.text


async def worker_of(api: Api, *regions: str, level: str = "grid") -> Citizen:
    worker = await api.citizen(name="李四")
    await assign(api, worker, *regions, level=level)
    return worker


async def act(
    api: Api, who: Citizen, event_id: str, action: str, json: Any = None
) -> dict[str, Any]:
    response = await api.client.post(
        f"{BASE}/events/{event_id}/{action}", json=json, headers=who.headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def view(api: Api, who: Citizen, event_id: str) -> dict[str, Any]:
    response = await api.client.get(f"{BASE}/events/{event_id}", headers=who.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def inbox_titles(api: Api, citizen: Citizen) -> list[str]:
    from tests.notifications.helpers import settle

    await settle(api)
    response = await api.client.get("/api/v1/notifications", headers=citizen.headers)
    assert response.status_code == 200, response.text
    return [n["title"] for n in response.json()["items"] if n["miniapp"] == "reports"]
