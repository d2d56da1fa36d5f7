"""The resident ID number: in no response, no log line, nowhere in clear text in the database."""

from __future__ import annotations

import logging

import pytest

from app.database import is_postgres
from tests.app.portal import db_fetch, in_app
from tests.helpers import Api
from tests.identity.ids import valid_id


async def table_names(api: Api) -> list[str]:
    if await in_app(api.client, _is_postgres):
        rows = await db_fetch(
            api.client,
            "SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema()",
        )
    else:
        rows = await db_fetch(
            api.client,
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
        )
    return sorted(str(row["name"]) for row in rows)


async def _is_postgres() -> bool:
    return is_postgres()


async def database_dump(api: Api) -> str:
    """Every value of every row of every table, as text."""
    parts: list[str] = []
    for table in await table_names(api):
        for row in await db_fetch(api.client, f'SELECT * FROM "{table}"'):
            parts.extend(str(value) for value in row.values())
    return "\n".join(parts)


def forms_of(number: str) -> set[str]:
    """The number as entered, upper- and lowercase, and its first 17 digits on their own."""
    return {number, number.lower(), number.upper(), number[:17]}


class TestIdNumberPrivacy:
    async def test_nowhere_in_clear_text(self, api: Api, caplog: pytest.LogCaptureFixture) -> None:
        admin = await api.admin()
        caplog.set_level(logging.DEBUG)
        numbers = [valid_id(), valid_id(ending_in_x=True)]
        responses = []
        for entered in (numbers[0], numbers[1].lower()):  # as printed, and with a lowercase x
            citizen = await api.login()
            bound = await api.client.post(
                "/api/v1/me/real-name",
                json={"name": "张三", "id_number": entered},
                headers=citizen.headers,
            )
            assert bound.status_code == 200
            responses += [
                bound,
                await api.client.get("/api/v1/me", headers=citizen.headers),
                await api.client.get(
                    "/api/v1/admin/citizens", params={"phone": citizen.phone}, headers=admin.headers
                ),
                # Refusals: taken by another account, and already verified.
                await api.client.post(
                    "/api/v1/me/real-name",
                    json={"name": "张三", "id_number": entered},
                    headers=(await api.login()).headers,
                ),
                await api.client.post(
                    "/api/v1/me/real-name",
                    json={"name": "张三", "id_number": entered},
                    headers=citizen.headers,
                ),
            ]
        responses.append(await api.client.get("/api/v1/admin/audit", headers=admin.headers))
        dump = await database_dump(api)
        assert "citizen" in await table_names(api)
        for number in numbers:
            for form in forms_of(number):
                for response in responses:
                    assert form not in response.text, response.request.url
                assert form not in dump
                assert form not in caplog.text

    async def test_the_number_is_kept_sealed_and_hashed(self, api: Api) -> None:
        """What is stored can still find the citizen (HMAC) and be opened (AES-GCM)."""
        from identity.service import citizen_by_id_number, real_identity

        citizen = await api.citizen(name="赵六")
        assert citizen.id_number is not None
        found = await in_app(api.client, citizen_by_id_number, citizen.id_number.lower())
        assert found is not None and found.id == citizen.id and found.name_masked == "赵*"
        assert await in_app(api.client, real_identity, citizen.id) == ("赵六", citizen.id_number)
