"""The demo loader's grid: a worker and four events, the same after any number of runs."""

from __future__ import annotations

from tests.app.portal import in_app
from tests.helpers import Api
from tests.miniapps.reports.conftest import BASE


class TestDemoSeed:
    async def test_the_demo_worker_sees_the_demo_queue_once_whatever_the_runs(
        self, api: Api
    ) -> None:
        from miniapps.reports.demo import seed

        reporter, worker = await api.citizen(), await api.citizen(name="李四")
        context = {"citizens": [reporter.id, worker.id]}
        await in_app(api.client, seed, context)
        await in_app(api.client, seed, context)
        await in_app(api.client, seed, {})
        mine = await api.client.get(f"{BASE}/staff/assignments", headers=worker.headers)
        assert [r["region_code"] for r in mine.json()["regions"]] == ["330102", "330106"]
        reported = await api.client.get(f"{BASE}/events", headers=reporter.headers)
        assert sorted(e["status"] for e in reported.json()["items"]) == [
            "open",
            "open",
            "resolved",
            "taken",
        ]
        resolved = next(e for e in reported.json()["items"] if e["status"] == "resolved")
        assert [s["kind"] for s in resolved["steps"]] == ["reported", "taken", "resolved"]
        queue = await api.client.get(
            f"{BASE}/staff/queue", params={"limit": "200"}, headers=worker.headers
        )
        demo_ids = {e["id"] for e in reported.json()["items"] if e["status"] != "resolved"}
        assert demo_ids <= {e["id"] for e in queue.json()["items"]}
