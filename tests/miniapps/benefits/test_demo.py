"""The demo loader's programmes: seeded once whatever the runs, the list kept as a hash."""

from __future__ import annotations

from tests.app.portal import db_fetch, in_app
from tests.helpers import Api, Citizen
from tests.miniapps.benefits.conftest import BASE


class TestDemoSeed:
    async def test_seeded_once_whatever_the_runs(self, api: Api, admin: Citizen) -> None:
        from miniapps.benefits.demo import LISTED_DEMO_IDS, seed

        await in_app(api.client, seed, {})
        await in_app(api.client, seed, {})
        for programme_id in ("demo-household-subsidy", "demo-disability-allowance"):
            response = await api.client.get(
                f"{BASE}/programmes/{programme_id}", headers=admin.headers
            )
            assert response.status_code == 200, response.text
        allowance = await api.client.get(
            f"{BASE}/programmes/demo-disability-allowance", headers=admin.headers
        )
        assert allowance.json()["listed"] == len(LISTED_DEMO_IDS) == 1
        assert allowance.json()["frequency"] == "monthly"
        rows = await db_fetch(
            api.client,
            "SELECT listed_key FROM benefits_listed WHERE programme_id = {}",
            "demo-disability-allowance",
        )
        assert LISTED_DEMO_IDS[0] not in rows[0]["listed_key"]
