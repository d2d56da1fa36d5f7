"""Journey: opening a small shop (开办小店一件事), one application to three departments.

A platform admin publishes the bundle and makes three citizens staff of market regulation,
taxation and human resources. A shopkeeper grants the app their real identity, starts the
application (name and identity already filled), fills only the rest, attaches the lease and
submits once. Market regulation asks for a clearer business scope; the shopkeeper answers
just that field; every department approves; the shopkeeper followed one status and was
notified. Her next application (a newborn) already knows her address and phone.
"""

from __future__ import annotations

import uuid
from typing import Any

import msgspec

from miniapps.services.demo import NEWBORN, SMALL_SHOP
from tests.helpers import Api, Citizen, problem
from tests.journeys.actors import grant, keyed
from tests.miniapps.services.conftest import BASE, material
from tests.notifications.helpers import settle


async def publish(api: Api, bundle: Any) -> str:
    code = f"journey_{uuid.uuid4().hex[:8]}"
    admin = await api.admin()
    response = await api.client.put(
        f"{BASE}/admin/bundles/{code}", json=msgspec.to_builtins(bundle), headers=admin.headers
    )
    assert response.status_code == 200, response.text
    return code


async def staff_of(api: Api, department: str) -> Citizen:
    clerk = await api.citizen(name="周敏")
    admin = await api.admin()
    found = await api.client.get(
        "/api/v1/admin/citizens", params={"phone": clerk.phone}, headers=admin.headers
    )
    citizen_id = found.json()["items"][0]["id"]
    assigned = await api.client.put(
        f"{BASE}/admin/staff/{citizen_id}",
        json={"departments": [department]},
        headers=admin.headers,
    )
    assert assigned.status_code == 200, assigned.text
    return clerk


async def desk_step(api: Api, clerk: Citizen, application_id: str) -> dict[str, Any]:
    queue = await api.client.get(
        f"{BASE}/desk/steps", params={"limit": "200"}, headers=clerk.headers
    )
    assert queue.status_code == 200, queue.text
    step = next(s for s in queue.json()["items"] if s["application_id"] == application_id)
    opened = await api.client.get(f"{BASE}/desk/steps/{step['id']}", headers=clerk.headers)
    body: dict[str, Any] = opened.json()
    return body


async def test_opening_a_small_shop(api: Api) -> None:
    shop = await publish(api, SMALL_SHOP)
    licence = await staff_of(api, "market_regulation")
    tax = await staff_of(api, "taxation")
    social = await staff_of(api, "human_resources")

    owner = await api.citizen(name="陈静")
    listed = await api.client.get(f"{BASE}/bundles/{shop}")
    assert [s["department"] for s in listed.json()["steps"]] == [
        "market_regulation",
        "taxation",
        "human_resources",
    ]
    await grant(api, owner, "services", "profile.basic", "identity.realname", "notify.send")
    subscribed = await api.client.post(
        f"{BASE}/subscriptions", json={"templates": ["services.status"]}, headers=owner.headers
    )
    assert subscribed.status_code == 201, subscribed.text

    started = await api.client.post(
        f"{BASE}/applications", json={"bundle": shop}, headers=owner.headers
    )
    assert started.status_code == 201, started.text
    application = started.json()
    url = f"{BASE}/applications/{application['id']}"
    assert {f["key"]: f["value"] for f in application["fields"]}["applicant_name"] == "陈静"
    assert "applicant_name" not in application["missing"]

    early = await api.client.post(f"{url}/submit", headers=keyed(owner.headers))
    problem(early, 422, "application_incomplete")
    answers = {
        "home_address": "杭州市上城区东坡路20号",
        "contact_phone": "13900002222",
        "shop_name": "陈记小面馆",
        "shop_address": "杭州市上城区河坊街8号",
        "business_scope": "餐饮",
        "employees": "2",
    }
    filled = await api.client.patch(
        f"{url}/fields", json={"fields": answers}, headers=owner.headers
    )
    assert filled.status_code == 200, filled.text
    lease = await api.client.post(
        f"{url}/materials",
        json=material("business_licence", "lease_contract"),
        headers=owner.headers,
    )
    assert lease.status_code == 201, lease.text
    key = keyed(owner.headers)
    sent = await api.client.post(f"{url}/submit", headers=key)
    assert sent.status_code == 200, sent.text
    retried = await api.client.post(f"{url}/submit", headers=key)
    assert retried.json() == sent.json() and retried.headers["idempotent-replayed"] == "true"
    assert sent.json()["status"] == "in_progress"

    tax_view = await desk_step(api, tax, application["id"])
    assert {f["key"] for f in tax_view["fields"]} == {
        "applicant_name",
        "applicant_id_hash",
        "shop_name",
        "shop_address",
        "contact_phone",
    }
    assert tax_view["materials"] == []
    licence_view = await desk_step(api, licence, application["id"])
    assert [m["kind"] for m in licence_view["materials"]] == ["lease_contract"]
    asked = await api.client.post(
        f"{BASE}/desk/steps/{licence_view['id']}/decisions",
        json={"status": "needs_more", "fields": ["business_scope"], "note": "请写明具体类别"},
        headers=licence.headers,
    )
    assert asked.status_code == 200, asked.text
    follow = (await api.client.get(url, headers=owner.headers)).json()
    assert follow["status"] == "needs_more" and follow["missing"] == ["business_scope"]
    answered = await api.client.post(
        f"{url}/steps/business_licence/resubmit",
        json={"fields": {"business_scope": "餐饮服务（小型面馆）"}},
        headers=keyed(owner.headers),
    )
    assert answered.status_code == 200, answered.text

    for clerk in (licence, tax, social):
        step = await desk_step(api, clerk, application["id"])
        approved = await api.client.post(
            f"{BASE}/desk/steps/{step['id']}/decisions",
            json={"status": "approved", "note": "办结"},
            headers=clerk.headers,
        )
        assert approved.status_code == 200, approved.text
    done = (await api.client.get(url, headers=owner.headers)).json()
    assert done["status"] == "completed"
    assert {s["status"] for s in done["steps"]} == {"approved"}

    await settle(api)
    inbox = await api.client.get(
        "/api/v1/notifications", params={"limit": "20"}, headers=owner.headers
    )
    notices = [n for n in inbox.json()["items"] if n["kind"] == "miniapp.services.status"]
    assert len(notices) == 5  # submitted, needs more, three approvals
    assert notices[0]["body"].endswith("completed")
    assert all("陈静" not in n["body"] for n in notices)

    newborn = await publish(api, NEWBORN)
    later = await api.client.post(
        f"{BASE}/applications", json={"bundle": newborn}, headers=owner.headers
    )
    reused = {f["key"]: f for f in later.json()["fields"]}
    assert reused["home_address"]["value"] == answers["home_address"]
    assert reused["contact_phone"]["filled_from"] == "earlier_application"
