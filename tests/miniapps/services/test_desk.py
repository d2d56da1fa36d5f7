"""The departments' desk: each department's staff see and move only their own steps."""

from __future__ import annotations

import base64

from tests.app.portal import in_app
from tests.helpers import Api, problem
from tests.journeys.actors import keyed
from tests.miniapps.services.conftest import (
    BASE,
    PDF,
    applicant,
    clerk,
    decide,
    make_bundle,
    material,
    start,
    step_id,
    submitted,
)
from tests.notifications.helpers import settle

HEALTH_FIELDS = [
    "applicant_name",
    "applicant_id_hash",
    "baby_name",
    "baby_birth_date",
    "baby_sex",
    "birth_hospital",
]


class TestQueue:
    async def test_lists_only_the_departments_submitted_steps(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        application = await submitted(api, person, code)
        await start(api, await applicant(api), code)  # a draft: no department sees it yet
        staff = await clerk(api, "healthcare_security")
        response = await api.client.get(
            f"{BASE}/desk/steps",
            params={"status": "submitted", "limit": "200"},
            headers=staff.headers,
        )
        assert response.status_code == 200, response.text
        mine = [s for s in response.json()["items"] if s["application_id"] == application["id"]]
        assert [s["code"] for s in mine] == ["medical_insurance"]
        assert all(s["department"] == "healthcare_security" for s in response.json()["items"])
        assert mine[0]["fields"] == []  # the queue names steps; their fields open one by one

    async def test_a_citizen_who_is_no_staff_is_403(self, api: Api) -> None:
        person = await applicant(api)
        response = await api.client.get(f"{BASE}/desk/steps", headers=person.headers)
        problem(response, 403, "not_department_staff")

    async def test_a_bad_status_is_422(self, api: Api) -> None:
        staff = await clerk(api, "taxation")
        response = await api.client.get(
            f"{BASE}/desk/steps", params={"status": "lost"}, headers=staff.headers
        )
        problem(response, 422, "validation_error")


class TestReadStep:
    async def test_shows_only_the_fields_the_step_declares(self, api: Api) -> None:
        code = await make_bundle(api)
        application = await submitted(api, await applicant(api), code)
        staff = await clerk(api, "health_commission")
        step = step_id(application, "birth_certificate")
        response = await api.client.get(f"{BASE}/desk/steps/{step}", headers=staff.headers)
        assert response.status_code == 200, response.text
        fields = {f["key"]: f["value"] for f in response.json()["fields"]}
        assert list(fields) == HEALTH_FIELDS
        assert fields["applicant_name"] == "张三" and fields["baby_name"] == "张小宝"
        assert "home_address" not in fields and "contact_phone" not in fields
        assert [m["kind"] for m in response.json()["materials"]] == ["birth_record"]

    async def test_the_applicant_sees_who_read_their_step(self, api: Api) -> None:
        """A department opening a step reads the citizen's data: their data-access log says
        so (the app and the department, no field value); a step it may not open logs nothing."""
        code = await make_bundle(api)
        person = await applicant(api)
        application = await submitted(api, person, code)
        staff = await clerk(api, "health_commission")

        async def opened() -> list[dict[str, str]]:
            log = await api.client.get("/api/v1/me/data-access", headers=person.headers)
            assert log.status_code == 200, log.text
            return [i for i in log.json()["items"] if i["what"].endswith("_opened")]

        other = step_id(application, "household_registration")
        await api.client.get(f"{BASE}/desk/steps/{other}", headers=staff.headers)
        assert await opened() == []
        step = step_id(application, "birth_certificate")
        response = await api.client.get(f"{BASE}/desk/steps/{step}", headers=staff.headers)
        assert response.status_code == 200, response.text
        [entry] = await opened()
        assert entry["what"] == "step_opened" and entry["slug"] == "services"
        assert "health_commission" in entry["detail"] and "张小宝" not in entry["detail"]

    async def test_another_departments_step_is_404(self, api: Api) -> None:
        code = await make_bundle(api)
        application = await submitted(api, await applicant(api), code)
        staff = await clerk(api, "health_commission")
        step = step_id(application, "household_registration")
        response = await api.client.get(f"{BASE}/desk/steps/{step}", headers=staff.headers)
        problem(response, 404, "not_found")

    async def test_a_draft_step_is_404(self, api: Api) -> None:
        code = await make_bundle(api)
        draft = await start(api, await applicant(api), code)
        staff = await clerk(api, "health_commission")
        step = step_id(draft, "birth_certificate")
        response = await api.client.get(f"{BASE}/desk/steps/{step}", headers=staff.headers)
        problem(response, 404, "not_found")


class TestMaterial:
    async def test_the_department_downloads_its_steps_file(self, api: Api) -> None:
        code = await make_bundle(api)
        application = await submitted(api, await applicant(api), code)
        staff = await clerk(api, "health_commission")
        step = step_id(application, "birth_certificate")
        material = next(m for m in application["materials"] if m["step"] == "birth_certificate")
        url = f"{BASE}/desk/steps/{step}/materials/{material['id']}"
        response = await api.client.get(url, headers=staff.headers)
        assert response.status_code == 200, response.text
        assert response.content == PDF
        assert response.headers["content-type"].startswith("application/pdf")

    async def test_the_file_is_sealed_at_rest(self, api: Api) -> None:
        code = await make_bundle(api)
        await submitted(api, await applicant(api), code)

        async def blobs() -> list[str]:
            from miniapps.sdk import fetch

            return [str(r["sealed"]) for r in await fetch("SELECT sealed FROM services_blob")]

        stored = await in_app(api.client, blobs)
        assert stored and all(base64.b64encode(PDF).decode() not in s for s in stored)

    async def test_another_steps_material_is_404(self, api: Api) -> None:
        code = await make_bundle(api)
        application = await submitted(api, await applicant(api), code)
        staff = await clerk(api, "health_commission")
        step = step_id(application, "birth_certificate")
        other = next(m for m in application["materials"] if m["step"] == "household_registration")
        url = f"{BASE}/desk/steps/{step}/materials/{other['id']}"
        problem(await api.client.get(url, headers=staff.headers), 404, "not_found")
        stranger = await clerk(api, "public_security")
        own = next(m for m in application["materials"] if m["step"] == "birth_certificate")
        url = f"{BASE}/desk/steps/{step}/materials/{own['id']}"
        problem(await api.client.get(url, headers=stranger.headers), 404, "not_found")


class TestDecide:
    async def test_all_approved_completes_the_application(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        application = await submitted(api, person, code)
        staff = await clerk(api, "health_commission", "public_security", "healthcare_security")
        for step in ("birth_certificate", "household_registration", "medical_insurance"):
            accepted = await decide(api, staff, step_id(application, step), "accepted")
            assert accepted.json()["status"] == "accepted", accepted.text
            follow = await api.client.get(
                f"{BASE}/applications/{application['id']}", headers=person.headers
            )
            assert follow.json()["status"] == "in_progress"
            approved = await decide(api, staff, step_id(application, step), "approved", note="办结")
            assert approved.status_code == 200, approved.text
        follow = await api.client.get(
            f"{BASE}/applications/{application['id']}", headers=person.headers
        )
        assert follow.json()["status"] == "completed"
        await settle(api)
        inbox = await api.client.get(
            "/api/v1/notifications", params={"limit": "50"}, headers=person.headers
        )
        notices = [n for n in inbox.json()["items"] if n["kind"] == "miniapp.services.status"]
        assert len(notices) == 7  # submitted, then each step accepted and approved
        assert notices[0]["body"].endswith("application: completed"), notices[0]

    async def test_one_refusal_refuses_the_application(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        application = await submitted(api, person, code)
        staff = await clerk(api, "public_security")
        refused = await decide(
            api, staff, step_id(application, "household_registration"), "refused", note="地址不符"
        )
        assert refused.status_code == 200, refused.text
        follow = await api.client.get(
            f"{BASE}/applications/{application['id']}", headers=person.headers
        )
        assert follow.json()["status"] == "refused"
        later = await decide(api, staff, step_id(application, "household_registration"), "approved")
        problem(later, 409, "step_not_waiting")

    async def test_needs_more_names_fields_and_the_citizen_resubmits_them(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        application = await submitted(api, person, code)
        staff = await clerk(api, "health_commission")
        step = step_id(application, "birth_certificate")
        asked = await decide(
            api, staff, step, "needs_more", fields=["birth_hospital"], note="医院全称"
        )
        assert asked.json()["requested"] == ["birth_hospital"], asked.text
        url = f"{BASE}/applications/{application['id']}"
        follow = (await api.client.get(url, headers=person.headers)).json()
        assert follow["status"] == "needs_more" and follow["missing"] == ["birth_hospital"]
        resubmit = f"{url}/steps/birth_certificate/resubmit"
        other = await api.client.post(
            resubmit, json={"fields": {"baby_name": "x"}}, headers=keyed(person.headers)
        )
        problem(other, 422, "validation_error")
        answered = await api.client.post(
            resubmit,
            json={"fields": {"birth_hospital": "杭州市妇产科医院"}},
            headers=keyed(person.headers),
        )
        assert answered.status_code == 200, answered.text
        assert answered.json()["status"] == "in_progress"
        seen = await api.client.get(f"{BASE}/desk/steps/{step}", headers=staff.headers)
        fields = {f["key"]: f["value"] for f in seen.json()["fields"]}
        assert (
            fields["birth_hospital"] == "杭州市妇产科医院" and seen.json()["status"] == "submitted"
        )
        follow = (await api.client.get(url, headers=person.headers)).json()
        history = next(s for s in follow["steps"] if s["code"] == "birth_certificate")["history"]
        assert [(h["status"], h["actor"]) for h in history] == [
            ("submitted", "citizen"),
            ("needs_more", "department:health_commission"),
            ("submitted", "citizen"),
        ]
        assert history[1]["note"] == "医院全称"

    async def test_needs_more_must_name_asked_fields_of_the_step(self, api: Api) -> None:
        code = await make_bundle(api)
        application = await submitted(api, await applicant(api), code)
        staff = await clerk(api, "health_commission")
        step = step_id(application, "birth_certificate")
        problem(await decide(api, staff, step, "needs_more"), 422, "validation_error")
        platform = await decide(api, staff, step, "needs_more", fields=["applicant_name"])
        problem(platform, 422, "validation_error")
        elsewhere = await decide(api, staff, step, "needs_more", fields=["home_address"])
        problem(elsewhere, 422, "validation_error")
        problem(
            await decide(api, staff, step, "approved", fields=["baby_name"]),
            422,
            "validation_error",
        )
        problem(await decide(api, staff, step, "lost"), 422, "validation_error")
        seen = await api.client.get(f"{BASE}/desk/steps/{step}", headers=staff.headers)
        assert seen.json()["status"] == "submitted"

    async def test_another_department_and_a_citizen_may_not_decide(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        application = await submitted(api, person, code)
        step = step_id(application, "birth_certificate")
        stranger = await clerk(api, "taxation")
        problem(await decide(api, stranger, step, "approved"), 404, "not_found")
        problem(await decide(api, person, step, "approved"), 403, "not_department_staff")


class TestResubmit:
    async def test_a_step_that_asked_nothing_is_409(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        application = await submitted(api, person, code)
        response = await api.client.post(
            f"{BASE}/applications/{application['id']}/steps/birth_certificate/resubmit",
            json={"fields": {"birth_hospital": "x"}},
            headers=keyed(person.headers),
        )
        problem(response, 409, "step_not_waiting")

    async def test_an_unknown_step_is_422_and_anothers_application_404(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        application = await submitted(api, person, code)
        url = f"{BASE}/applications/{application['id']}/steps"
        body = {"fields": {"birth_hospital": "x"}}
        problem(
            await api.client.post(f"{url}/nope/resubmit", json=body, headers=person.headers),
            422,
            "validation_error",
        )
        stranger = await applicant(api)
        problem(
            await api.client.post(
                f"{url}/birth_certificate/resubmit", json=body, headers=stranger.headers
            ),
            404,
            "not_found",
        )


class TestAskForAMaterial:
    async def test_the_citizen_attaches_it_again_and_the_desk_reads_the_new_one(
        self, api: Api
    ) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        application = await submitted(api, person, code)
        staff = await clerk(api, "health_commission")
        step = step_id(application, "birth_certificate")
        asked = await decide(api, staff, step, "needs_more", materials=["birth_record"])
        assert asked.json()["requested"] == ["material:birth_certificate.birth_record"]
        assert asked.json()["materials"] == []  # the old file is superseded
        url = f"{BASE}/applications/{application['id']}"
        follow = (await api.client.get(url, headers=person.headers)).json()
        assert follow["missing"] == ["material:birth_certificate.birth_record"]
        resubmit = f"{url}/steps/birth_certificate/resubmit"
        early = await api.client.post(resubmit, json={}, headers=keyed(person.headers))
        problem(early, 422, "validation_error")
        clearer = PDF + b"% scanned again\n"
        attached = await api.client.post(
            f"{url}/materials",
            json=material("birth_certificate", "birth_record", clearer),
            headers=person.headers,
        )
        assert attached.status_code == 201, attached.text
        answered = await api.client.post(resubmit, json={}, headers=keyed(person.headers))
        assert answered.status_code == 200, answered.text
        seen = (await api.client.get(f"{BASE}/desk/steps/{step}", headers=staff.headers)).json()
        assert [m["id"] for m in seen["materials"]] == [attached.json()["id"]]
        got = await api.client.get(
            f"{BASE}/desk/steps/{step}/materials/{attached.json()['id']}", headers=staff.headers
        )
        assert got.content == clearer

    async def test_a_material_the_step_does_not_declare_is_422(self, api: Api) -> None:
        code = await make_bundle(api)
        application = await submitted(api, await applicant(api), code)
        staff = await clerk(api, "health_commission")
        step = step_id(application, "birth_certificate")
        wrong = await decide(api, staff, step, "needs_more", materials=["household_register"])
        problem(wrong, 422, "validation_error")
        also = await decide(api, staff, step, "approved", materials=["birth_record"])
        problem(also, 422, "validation_error")
        seen = await api.client.get(f"{BASE}/desk/steps/{step}", headers=staff.headers)
        assert seen.json()["status"] == "submitted" and len(seen.json()["materials"]) == 1
