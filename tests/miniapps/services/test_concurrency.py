"""Two at once: decisions on one step and submissions of one application; one wins."""

from __future__ import annotations

import uuid

from tests.app.portal import concurrently
from tests.helpers import Api
from tests.miniapps.services.conftest import (
    BASE,
    applicant,
    clerk,
    make_bundle,
    ready,
    step_id,
    submitted,
)


class TestAtOnce:
    async def test_of_two_decisions_on_one_step_exactly_one_wins(self, api: Api) -> None:
        code = await make_bundle(api)
        application = await submitted(api, await applicant(api), code)
        staff = await clerk(api, "health_commission")
        url = f"{BASE}/desk/steps/{step_id(application, 'birth_certificate')}/decisions"
        answers = await concurrently(
            api.client,
            [
                {"method": "POST", "url": url, "json": {"status": s}, "headers": staff.headers}
                for s in ("approved", "refused", "approved", "refused")
            ],
        )
        statuses = sorted(a.status_code for a in answers)
        assert statuses == [200, 409, 409, 409], [a.text for a in answers]
        winner = next(a for a in answers if a.status_code == 200).json()["status"]
        seen = await api.client.get(url.rsplit("/", 1)[0], headers=staff.headers)
        assert seen.json()["status"] == winner

    async def test_of_two_submissions_with_different_keys_one_is_recorded(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        application = await ready(api, person, code)
        url = f"{BASE}/applications/{application['id']}/submit"
        answers = await concurrently(
            api.client,
            [
                {
                    "method": "POST",
                    "url": url,
                    "headers": {**person.headers, "Idempotency-Key": uuid.uuid4().hex},
                }
                for _ in range(3)
            ],
        )
        assert sorted(a.status_code for a in answers) == [200, 409, 409]
        staff = await clerk(api, "health_commission")
        queue = await api.client.get(
            f"{BASE}/desk/steps", params={"limit": "200"}, headers=staff.headers
        )
        mine = [s for s in queue.json()["items"] if s["application_id"] == application["id"]]
        assert len(mine) == 1
