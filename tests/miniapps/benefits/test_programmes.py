"""Staff define programmes: create, list, read, and the department's list."""

from __future__ import annotations

from datetime import timedelta

from miniapps.sdk import local_today
from tests.app.portal import db_fetch
from tests.helpers import Api, Citizen, new_id_number, problem
from tests.miniapps.benefits.conftest import (
    BASE,
    add_to_list,
    citizens,
    create_programme,
    programme_body,
)


class TestCreateProgramme:
    async def test_staff_define_a_programme(self, api: Api, admin: Citizen) -> None:
        rules = [{"kind": "age", "min_age": 60}, {"kind": "region", "regions": ["330100"]}]
        body = await create_programme(api, admin, rules=rules, frequency="monthly")
        assert body["amount"] == 10_000 and body["budget"] == 1_000_000
        assert body["spent"] == 0 and body["remaining_budget"] == 1_000_000
        assert body["frequency"] == "monthly" and body["status"] == "active"
        assert body["rules"][0] == {"kind": "age", "min_age": 60, "max_age": None, "regions": None}
        assert body["rules"][1]["regions"] == ["330100"]
        audit = await api.client.get("/api/v1/admin/audit", headers=(await api.admin()).headers)
        assert any(
            e["action"] == "benefits.programme.create" and body["id"] in e["target"]
            for e in audit.json()["items"]
        )

    async def test_a_retry_with_the_same_key_creates_one(self, api: Api, admin: Citizen) -> None:
        headers = {**admin.headers, "Idempotency-Key": "programme-once"}
        first = await api.client.post(f"{BASE}/programmes", json=programme_body(), headers=headers)
        again = await api.client.post(f"{BASE}/programmes", json=programme_body(), headers=headers)
        assert first.status_code == again.status_code == 201
        assert again.headers["Idempotent-Replayed"] == "true"
        assert again.json()["id"] == first.json()["id"]

    async def test_rules_that_make_no_sense_are_refused(self, api: Api, admin: Citizen) -> None:
        for rules, field in (
            ([{"kind": "age"}], "rules[0]"),
            ([{"kind": "age", "min_age": 70, "max_age": 60}], "rules[0]"),
            ([{"kind": "region"}], "rules[0]"),
            ([{"kind": "list"}, {"kind": "list"}], "rules"),
            ([{"kind": "list", "min_age": 3}], "rules[0]"),
        ):
            response = await api.client.post(
                f"{BASE}/programmes", json=programme_body(rules=rules), headers=admin.headers
            )
            body = problem(response, 422, "validation_error")
            assert body["errors"][0]["field"] == field, rules
        rows = await db_fetch(api.client, "SELECT COUNT(*) AS n FROM benefits_programme")
        before = rows[0]["n"]
        await api.client.post(
            f"{BASE}/programmes", json=programme_body(rules=[]), headers=admin.headers
        )
        rows = await db_fetch(api.client, "SELECT COUNT(*) AS n FROM benefits_programme")
        assert rows[0]["n"] == before

    async def test_bad_money_and_days_are_refused(self, api: Api, admin: Citizen) -> None:
        yesterday = (local_today() - timedelta(days=1)).isoformat()
        for change, field in (
            ({"budget": 9_999}, "budget"),
            ({"payment_day": yesterday}, "payment_day"),
            ({"frequency": "monthly", "payment_day": "2099-01-29"}, "payment_day"),
        ):
            response = await api.client.post(
                f"{BASE}/programmes", json=programme_body(**change), headers=admin.headers
            )
            assert problem(response, 422, "validation_error")["errors"][0]["field"] == field
        for change in ({"amount": 0}, {"amount": "100"}, {"region": 1}, {"budget": 1.5}):
            response = await api.client.post(
                f"{BASE}/programmes", json=programme_body(**change), headers=admin.headers
            )
            problem(response, 422, "validation_error")

    async def test_only_staff_may(self, api: Api) -> None:
        citizen = await api.citizen()
        response = await api.client.post(
            f"{BASE}/programmes", json=programme_body(), headers=citizen.headers
        )
        problem(response, 403, "forbidden")
        problem(
            await api.client.post(f"{BASE}/programmes", json=programme_body()), 401, "unauthorized"
        )


class TestListProgrammes:
    async def test_staff_see_programmes(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin, name="困难家庭补助")
        response = await api.client.get(f"{BASE}/programmes?limit=200", headers=admin.headers)
        assert response.status_code == 200
        assert made["id"] in [p["id"] for p in response.json()["items"]]

    async def test_pages(self, api: Api, admin: Citizen) -> None:
        for _ in range(3):
            await create_programme(api, admin)
        first = await api.client.get(f"{BASE}/programmes?limit=2", headers=admin.headers)
        cursor = first.json()["next_cursor"]
        assert len(first.json()["items"]) == 2 and cursor
        second = await api.client.get(
            f"{BASE}/programmes", params={"limit": 2, "cursor": cursor}, headers=admin.headers
        )
        seen = {p["id"] for p in first.json()["items"]}
        assert not seen & {p["id"] for p in second.json()["items"]}
        problem(
            await api.client.get(f"{BASE}/programmes?limit=0", headers=admin.headers),
            422,
            "validation_error",
        )

    async def test_citizens_may_not(self, api: Api) -> None:
        citizen = await api.citizen()
        problem(
            await api.client.get(f"{BASE}/programmes", headers=citizen.headers), 403, "forbidden"
        )


class TestOneProgramme:
    async def test_staff_read_one(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin)
        response = await api.client.get(f"{BASE}/programmes/{made['id']}", headers=admin.headers)
        assert response.status_code == 200 and response.json() == made

    async def test_unknown(self, api: Api, admin: Citizen) -> None:
        response = await api.client.get(f"{BASE}/programmes/nope", headers=admin.headers)
        problem(response, 404, "programme_not_found")

    async def test_citizens_may_not(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin)
        citizen = await api.citizen()
        response = await api.client.get(f"{BASE}/programmes/{made['id']}", headers=citizen.headers)
        problem(response, 403, "forbidden")


class TestDepartmentList:
    async def test_numbers_are_kept_only_as_keyed_hashes(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin)
        people = await citizens(api, 2)
        numbers = [p.id_number for p in people]
        response = await api.client.post(
            f"{BASE}/programmes/{made['id']}/list",
            json={"id_numbers": [*numbers, numbers[0].lower()]},
            headers=admin.headers,
        )
        assert response.status_code == 200, response.text
        assert response.json() == {
            "programme_id": made["id"],
            "added": 2,
            "already_listed": 1,
            "listed": 2,
        }
        rows = await db_fetch(
            api.client,
            "SELECT listed_key FROM benefits_listed WHERE programme_id = {}",
            made["id"],
        )
        stored = " ".join(r["listed_key"] for r in rows)
        assert len(rows) == 2
        for number in numbers:
            assert number not in stored and number[6:14] not in stored

    async def test_a_bad_number_refuses_the_upload_without_echoing_it(
        self, api: Api, admin: Citizen
    ) -> None:
        made = await create_programme(api, admin)
        good = new_id_number()
        bad = good[:17] + ("0" if good[17] != "0" else "1")
        response = await api.client.post(
            f"{BASE}/programmes/{made['id']}/list",
            json={"id_numbers": [good, bad]},
            headers=admin.headers,
        )
        body = problem(response, 422, "validation_error")
        assert body["errors"] == [
            {"field": "id_numbers[1]", "message": "not a valid 18-character resident ID"}
        ]
        assert bad not in response.text and good not in response.text
        listed = await api.client.get(f"{BASE}/programmes/{made['id']}", headers=admin.headers)
        assert listed.json()["listed"] == 0
        empty = await api.client.post(
            f"{BASE}/programmes/{made['id']}/list", json={"id_numbers": []}, headers=admin.headers
        )
        problem(empty, 422, "validation_error")

    async def test_unknown_programme(self, api: Api, admin: Citizen) -> None:
        response = await api.client.post(
            f"{BASE}/programmes/nope/list",
            json={"id_numbers": [new_id_number()]},
            headers=admin.headers,
        )
        problem(response, 404, "programme_not_found")

    async def test_citizens_may_not(self, api: Api, admin: Citizen) -> None:
        made = await create_programme(api, admin)
        citizen = await api.citizen()
        response = await api.client.post(
            f"{BASE}/programmes/{made['id']}/list",
            json={"id_numbers": [citizen.id_number]},
            headers=citizen.headers,
        )
        problem(response, 403, "forbidden")
        await add_to_list(api, admin, made["id"], [citizen])
