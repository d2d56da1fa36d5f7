"""Benefits' routes are in the OpenAPI document, with the problems they may answer."""

from __future__ import annotations

from tests.helpers import Api

PREFIX = "/api/v1/miniapps/benefits"


class TestOpenApi:
    async def test_every_route_is_documented(self, api: Api) -> None:
        document = (await api.client.get("/schema/openapi.json")).json()
        paths = {p: ops for p, ops in document["paths"].items() if p.startswith(PREFIX)}
        assert set(paths) == {
            f"{PREFIX}/programmes",
            f"{PREFIX}/programmes/{{programme_id}}",
            f"{PREFIX}/programmes/{{programme_id}}/list",
            f"{PREFIX}/programmes/{{programme_id}}/runs",
            f"{PREFIX}/programmes/{{programme_id}}/close",
            f"{PREFIX}/programmes/{{programme_id}}/report",
            f"{PREFIX}/programmes/{{programme_id}}/payments",
            f"{PREFIX}/me/payments",
            f"{PREFIX}/me/preferences",
        }
        runs = paths[f"{PREFIX}/programmes/{{programme_id}}/runs"]["post"]
        assert {"202", "401", "403", "404", "409"} <= set(runs["responses"])
        create = paths[f"{PREFIX}/programmes"]["post"]
        assert {"201", "401", "403", "422"} <= set(create["responses"])
