"""A citizen's application: started prefilled, filled, materials attached, submitted once."""

from __future__ import annotations

from tests.app.portal import in_app
from tests.helpers import Api, problem
from tests.journeys.actors import grant, keyed
from tests.miniapps.services.conftest import (
    ANSWERS,
    BASE,
    PDF,
    PNG,
    applicant,
    make_bundle,
    material,
    ready,
    start,
)


class TestStart:
    async def test_what_the_platform_knows_is_filled_and_the_rest_is_missing(
        self, api: Api
    ) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        body = await start(api, person, code)
        assert body["status"] == "draft"
        fields = {f["key"]: f for f in body["fields"]}
        assert fields["applicant_name"]["value"] == "张三"
        assert fields["applicant_name"]["filled_from"] == "platform"
        id_hash = fields["applicant_id_hash"]["value"]
        assert id_hash and person.id_number and person.id_number not in id_hash
        assert set(body["missing"]) == {
            *ANSWERS,
            "material:birth_certificate.birth_record",
            "material:household_registration.household_register",
        }
        assert [s["status"] for s in body["steps"]] == ["pending"] * 3

    async def test_reusable_fields_are_asked_once(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        await ready(api, person, code)
        again = await start(api, person, code)
        fields = {f["key"]: f for f in again["fields"]}
        assert fields["home_address"]["value"] == ANSWERS["home_address"]
        assert fields["home_address"]["filled_from"] == "earlier_application"
        assert "home_address" not in again["missing"] and "baby_name" in again["missing"]

    async def test_values_are_sealed_at_rest(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        body = await ready(api, person, code)

        async def stored() -> list[str]:
            from miniapps.sdk import fetch

            rows = await fetch(
                "SELECT sealed FROM services_field_value WHERE application = {}", body["id"]
            )
            return [str(r["sealed"]) for r in rows]

        rows = await in_app(api.client, stored)
        assert len(rows) == 8
        text = " ".join(rows)
        assert "张三" not in text and ANSWERS["home_address"] not in text
        assert ANSWERS["baby_name"] not in text

    async def test_an_unknown_bundle_is_422(self, api: Api) -> None:
        person = await applicant(api)
        response = await api.client.post(
            f"{BASE}/applications", json={"bundle": "no_such_bundle"}, headers=person.headers
        )
        body = problem(response, 422, "validation_error")
        assert body["errors"][0]["field"] == "bundle"

    async def test_without_the_identity_grant_it_is_403_and_nothing_is_started(
        self, api: Api
    ) -> None:
        code = await make_bundle(api)
        person = await api.citizen()
        await grant(api, person, "services", "profile.basic")
        response = await api.client.post(
            f"{BASE}/applications", json={"bundle": code}, headers=person.headers
        )
        problem(response, 403, "scope_required")
        mine = await api.client.get(f"{BASE}/applications", headers=person.headers)
        assert mine.json()["items"] == []

    async def test_signed_out_is_401(self, api: Api) -> None:
        response = await api.client.post(f"{BASE}/applications", json={"bundle": "newborn"})
        problem(response, 401, "unauthorized")


class TestFill:
    async def test_fills_only_asked_fields(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        body = await start(api, person, code)
        url = f"{BASE}/applications/{body['id']}/fields"
        response = await api.client.patch(
            url, json={"fields": {"baby_name": "张小宝"}}, headers=person.headers
        )
        assert response.status_code == 200, response.text
        assert "baby_name" not in response.json()["missing"]

    async def test_platform_fields_and_unknown_keys_are_refused_whole(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        body = await start(api, person, code)
        url = f"{BASE}/applications/{body['id']}"
        response = await api.client.patch(
            f"{url}/fields",
            json={"fields": {"baby_name": "张小宝", "applicant_name": "别人", "nope": "x"}},
            headers=person.headers,
        )
        errors = problem(response, 422, "validation_error")["errors"]
        assert {e["field"] for e in errors} == {"fields.applicant_name", "fields.nope"}
        after = (await api.client.get(url, headers=person.headers)).json()
        assert "baby_name" in after["missing"]  # nothing half-written

    async def test_another_citizens_application_is_404(self, api: Api) -> None:
        code = await make_bundle(api)
        owner, stranger = await applicant(api), await applicant(api)
        body = await start(api, owner, code)
        response = await api.client.patch(
            f"{BASE}/applications/{body['id']}/fields",
            json={"fields": {"baby_name": "x"}},
            headers=stranger.headers,
        )
        problem(response, 404, "not_found")


class TestAttach:
    async def test_a_pdf_is_kept_with_its_digest(self, api: Api) -> None:
        import hashlib

        code = await make_bundle(api)
        person = await applicant(api)
        body = await start(api, person, code)
        response = await api.client.post(
            f"{BASE}/applications/{body['id']}/materials",
            json=material("birth_certificate", "birth_record"),
            headers=person.headers,
        )
        assert response.status_code == 201, response.text
        assert response.json()["sha256"] == hashlib.sha256(PDF).hexdigest()
        assert response.json()["size"] == len(PDF)
        assert response.json()["filename"] == "出生证明.pdf"

    async def test_content_not_of_its_type_is_refused(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        body = await start(api, person, code)
        url = f"{BASE}/applications/{body['id']}/materials"
        wrong = material("birth_certificate", "birth_record", PNG, "application/pdf")
        problem(
            await api.client.post(url, json=wrong, headers=person.headers), 422, "material_rejected"
        )
        big = material("birth_certificate", "birth_record", b"%PDF-" + b"0" * 530_000)
        problem(
            await api.client.post(url, json=big, headers=person.headers), 422, "material_rejected"
        )
        bad = {**material("birth_certificate", "birth_record"), "content_base64": "@@@@"}
        problem(
            await api.client.post(url, json=bad, headers=person.headers), 422, "material_rejected"
        )
        undeclared = material("medical_insurance", "birth_record")
        problem(
            await api.client.post(url, json=undeclared, headers=person.headers),
            422,
            "validation_error",
        )
        after = (
            await api.client.get(f"{BASE}/applications/{body['id']}", headers=person.headers)
        ).json()
        assert after["materials"] == []

    async def test_another_citizens_application_is_404(self, api: Api) -> None:
        code = await make_bundle(api)
        owner, stranger = await applicant(api), await applicant(api)
        body = await start(api, owner, code)
        response = await api.client.post(
            f"{BASE}/applications/{body['id']}/materials",
            json=material("birth_certificate", "birth_record"),
            headers=stranger.headers,
        )
        problem(response, 404, "not_found")


class TestSubmit:
    async def test_submits_once_and_every_step_goes_to_its_department(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        body = await ready(api, person, code)
        url = f"{BASE}/applications/{body['id']}/submit"
        headers = keyed(person.headers)
        first = await api.client.post(url, headers=headers)
        assert first.status_code == 200, first.text
        assert first.json()["status"] == "in_progress"
        assert {s["status"] for s in first.json()["steps"]} == {"submitted"}
        replay = await api.client.post(url, headers=headers)
        assert replay.headers.get("idempotent-replayed") == "true"
        assert replay.json() == first.json()
        again = await api.client.post(url, headers=keyed(person.headers))
        problem(again, 409, "application_not_draft")

    async def test_a_submitted_application_is_no_longer_filled(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        body = await ready(api, person, code)
        url = f"{BASE}/applications/{body['id']}"
        await api.client.post(f"{url}/submit", headers=keyed(person.headers))
        response = await api.client.patch(
            f"{url}/fields", json={"fields": {"baby_name": "x"}}, headers=person.headers
        )
        problem(response, 409, "application_not_draft")

    async def test_missing_fields_and_materials_are_named(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        body = await start(api, person, code)
        url = f"{BASE}/applications/{body['id']}"
        response = await api.client.post(f"{url}/submit", headers=keyed(person.headers))
        errors = problem(response, 422, "application_incomplete")["errors"]
        assert "baby_name" in {e["field"] for e in errors}
        assert "material:birth_certificate.birth_record" in {e["field"] for e in errors}
        after = (await api.client.get(url, headers=person.headers)).json()
        assert after["status"] == "draft" and after["submitted_at"] is None

    async def test_needs_an_idempotency_key(self, api: Api) -> None:
        code = await make_bundle(api)
        person = await applicant(api)
        body = await ready(api, person, code)
        response = await api.client.post(
            f"{BASE}/applications/{body['id']}/submit", headers=person.headers
        )
        problem(response, 422, "idempotency_key_required")

    async def test_another_citizens_application_is_404(self, api: Api) -> None:
        code = await make_bundle(api)
        owner, stranger = await applicant(api), await applicant(api)
        body = await ready(api, owner, code)
        response = await api.client.post(
            f"{BASE}/applications/{body['id']}/submit", headers=keyed(stranger.headers)
        )
        problem(response, 404, "not_found")


class TestList:
    async def test_lists_only_the_citizens_own(self, api: Api) -> None:
        code = await make_bundle(api)
        person, other = await applicant(api), await applicant(api)
        mine = await start(api, person, code)
        await start(api, other, code)
        response = await api.client.get(f"{BASE}/applications", headers=person.headers)
        assert [a["id"] for a in response.json()["items"]] == [mine["id"]]
        assert response.json()["items"][0]["status"] == "draft"

    async def test_a_bad_cursor_is_422(self, api: Api) -> None:
        person = await applicant(api)
        response = await api.client.get(
            f"{BASE}/applications", params={"cursor": "!!"}, headers=person.headers
        )
        problem(response, 422, "validation_error")
