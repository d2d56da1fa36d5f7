"""An access token is good for exactly one audience: a list that merely contains it is not."""

from __future__ import annotations

from tests.helpers import Api, bearer, problem
from tests.identity.tokens import claims_of, reissued


class TestAudienceIsExact:
    async def test_a_list_of_audiences_is_refused_everywhere(self, api: Api) -> None:
        citizen = await api.citizen()
        gate = await api.gate()
        both = reissued(claims_of(citizen.access_token), aud=["citizen", "gate"])
        problem(await api.client.get("/api/v1/me", headers=bearer(both)), 401, "unauthorized")
        as_gate = reissued(claims_of(gate.access_token), aud=["gate", "citizen"])
        response = await api.client.post(
            "/api/v1/gate/scans", json={"code": "x"}, headers=bearer(as_gate)
        )
        problem(response, 401, "unauthorized")

    async def test_the_single_audience_still_works(self, api: Api) -> None:
        citizen = await api.citizen()
        same = reissued(claims_of(citizen.access_token))
        assert (await api.client.get("/api/v1/me", headers=bearer(same))).status_code == 200
