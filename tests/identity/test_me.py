"""GET /api/v1/me and POST /api/v1/me/real-name."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from tests.app.portal import concurrently
from tests.clocks import city_today
from tests.helpers import Api, problem
from tests.identity.ids import valid_id, with_check_digit, wrong_check_digit

ME = "/api/v1/me"
REAL_NAME = "/api/v1/me/real-name"


def _tomorrow() -> str:
    return (city_today() + timedelta(days=1)).strftime("%Y%m%d")


INVALID_NUMBERS: dict[str, Callable[[], str]] = {
    "too_short": lambda: valid_id()[:17],
    "too_long": lambda: valid_id() + "1",
    "letters": lambda: "33010619900307ABCD",
    "x_inside": lambda: "3301061990030X1234",
    "unknown_province": lambda: with_check_digit("99010619900307123"),
    "province_zero": lambda: with_check_digit("00010619900307123"),
    "february_30": lambda: with_check_digit("33010619900230123"),
    "month_13": lambda: with_check_digit("33010619901301123"),
    "born_tomorrow": lambda: with_check_digit(f"330106{_tomorrow()}123"),
    "born_in_2999": lambda: with_check_digit("33010629990101123"),
    "born_before_1900": lambda: with_check_digit("33010618991231123"),
    "wrong_check_digit": lambda: wrong_check_digit(valid_id()),
    "empty": lambda: "",
    # `int()` reads these as digits, so `\d` let one number be bound twice, spelled two ways.
    "full_width_digit": lambda: "\uff13" + valid_id()[1:],
    "arabic_indic_digit": lambda: "33010\u0666" + valid_id()[6:],  # 330106 with ٦ for 6
}

NAMES_WITH_CONTROLS = [
    "张\x00三",  # NUL
    "\u202e三张",  # RIGHT-TO-LEFT OVERRIDE: shows as 张三 reversed
    "张\u200b三",  # ZERO WIDTH SPACE: one name that compares unequal to itself
    "\ufeff张三",  # BOM
    "张\n三",
]


class TestMe:
    async def test_a_new_citizen(self, api: Api) -> None:
        citizen = await api.login()
        response = await api.client.get(ME, headers=citizen.headers)
        assert response.status_code == 200
        assert response.json() == {
            "id": citizen.id,
            "phone_masked": f"{citizen.phone[:3]}****{citizen.phone[7:]}",
            "name_masked": None,
            "real_name_verified": False,
            "roles": ["citizen"],
        }

    async def test_a_verified_citizen(self, api: Api) -> None:
        citizen = await api.citizen(name="王小明")
        body = (await api.client.get(ME, headers=citizen.headers)).json()
        assert body["name_masked"] == "王**"
        assert body["real_name_verified"] is True
        assert citizen.phone not in str(body)

    async def test_without_a_token(self, api: Api) -> None:
        problem(await api.client.get(ME), 401, "unauthorized")

    async def test_a_gate_token_is_refused(self, api: Api) -> None:
        gate = await api.gate()
        problem(await api.client.get(ME, headers=gate.headers), 401, "unauthorized")


class TestRealName:
    @pytest.mark.parametrize(
        ("name", "masked"),
        [("张三", "张*"), ("欧阳娜", "欧**"), ("欧阳娜娜", "欧***"), ("李", "李")],
    )
    async def test_binds_and_masks_the_name(self, api: Api, name: str, masked: str) -> None:
        citizen = await api.login()
        response = await api.client.post(
            REAL_NAME, json={"name": name, "id_number": valid_id()}, headers=citizen.headers
        )
        assert response.status_code == 200
        body = response.json()
        assert body["name_masked"] == masked
        assert body["real_name_verified"] is True
        assert body["id"] == citizen.id
        assert (await api.client.get(ME, headers=citizen.headers)).json() == body

    async def test_accepts_a_lowercase_x(self, api: Api) -> None:
        citizen = await api.login()
        number = valid_id(ending_in_x=True)
        response = await api.client.post(
            REAL_NAME,
            json={"name": "张三", "id_number": number.lower()},
            headers=citizen.headers,
        )
        assert response.status_code == 200
        # Upper- and lowercase are one number: it cannot be bound twice.
        other = await api.login()
        response = await api.client.post(
            REAL_NAME, json={"name": "张三", "id_number": number}, headers=other.headers
        )
        problem(response, 409, "id_number_taken")

    @pytest.mark.parametrize("case", INVALID_NUMBERS)
    async def test_invalid_numbers_are_refused(self, api: Api, case: str) -> None:
        citizen = await api.login()
        number = INVALID_NUMBERS[case]()
        response = await api.client.post(
            REAL_NAME, json={"name": "张三", "id_number": number}, headers=citizen.headers
        )
        problem(response, 422, "invalid_id_number")
        assert not number or number not in response.text
        me = (await api.client.get(ME, headers=citizen.headers)).json()
        assert me["real_name_verified"] is False and me["name_masked"] is None

    @pytest.mark.parametrize("name", NAMES_WITH_CONTROLS)
    async def test_names_with_control_or_format_characters(self, api: Api, name: str) -> None:
        citizen = await api.login()
        response = await api.client.post(
            REAL_NAME, json={"name": name, "id_number": valid_id()}, headers=citizen.headers
        )
        body = problem(response, 422, "validation_error")
        assert [e["field"] for e in body["errors"]] == ["name"]
        me = (await api.client.get(ME, headers=citizen.headers)).json()
        assert me["real_name_verified"] is False

    async def test_a_number_bound_to_another_account(self, api: Api) -> None:
        owner = await api.citizen()
        assert owner.id_number is not None
        citizen = await api.login()
        response = await api.client.post(
            REAL_NAME, json={"name": "李四", "id_number": owner.id_number}, headers=citizen.headers
        )
        body = problem(response, 409, "id_number_taken")
        assert owner.id_number not in response.text and owner.id_number[:17] not in str(body)
        me = (await api.client.get(ME, headers=citizen.headers)).json()
        assert me["real_name_verified"] is False

    async def test_already_verified_is_checked_first(self, api: Api) -> None:
        citizen = await api.citizen()
        owner = await api.citizen()
        assert citizen.id_number and owner.id_number
        for number in (valid_id(), citizen.id_number, owner.id_number, "not-a-number"):
            response = await api.client.post(
                REAL_NAME, json={"name": "李四", "id_number": number}, headers=citizen.headers
            )
            problem(response, 409, "already_verified")
        me = (await api.client.get(ME, headers=citizen.headers)).json()
        assert me["name_masked"] == "张*"

    async def test_two_simultaneous_bindings_of_one_number(self, api: Api) -> None:
        first, second = await api.login(), await api.login()
        number = valid_id()
        responses = await concurrently(
            api.client,
            [
                {
                    "method": "POST",
                    "url": REAL_NAME,
                    "json": {"name": "张三", "id_number": number},
                    "headers": person.headers,
                }
                for person in (first, second)
            ],
        )
        assert sorted(r.status_code for r in responses) == [200, 409]
        loser = next(r for r in responses if r.status_code == 409)
        problem(loser, 409, "id_number_taken")
        verified = [
            (await api.client.get(ME, headers=p.headers)).json()["real_name_verified"]
            for p in (first, second)
        ]
        assert sorted(verified) == [False, True]

    async def test_one_account_binding_twice_at_once(self, api: Api) -> None:
        citizen = await api.login()
        responses = await concurrently(
            api.client,
            [
                {
                    "method": "POST",
                    "url": REAL_NAME,
                    "json": {"name": "张三", "id_number": valid_id()},
                    "headers": citizen.headers,
                }
                for _ in range(2)
            ],
        )
        assert sorted(r.status_code for r in responses) == [200, 409]
        problem(next(r for r in responses if r.status_code == 409), 409, "already_verified")

    async def test_blank_name(self, api: Api) -> None:
        citizen = await api.login()
        for name in ("", "   "):
            response = await api.client.post(
                REAL_NAME, json={"name": name, "id_number": valid_id()}, headers=citizen.headers
            )
            body = problem(response, 422, "validation_error")
            assert body["errors"][0]["field"] == "name"

    async def test_missing_number(self, api: Api) -> None:
        citizen = await api.login()
        response = await api.client.post(REAL_NAME, json={"name": "张三"}, headers=citizen.headers)
        body = problem(response, 422, "validation_error")
        assert body["errors"][0]["field"] == "id_number"

    async def test_broken_json(self, api: Api) -> None:
        citizen = await api.login()
        response = await api.client.post(
            REAL_NAME,
            content=b'{"name": "\xe5\xbc',
            headers={**citizen.headers, "Content-Type": "application/json"},
        )
        problem(response, 400, "malformed_request")

    async def test_without_a_token(self, api: Api) -> None:
        response = await api.client.post(REAL_NAME, json={"name": "张三", "id_number": valid_id()})
        problem(response, 401, "unauthorized")

    async def test_a_gate_token_is_refused(self, api: Api) -> None:
        gate = await api.gate()
        response = await api.client.post(
            REAL_NAME, json={"name": "张三", "id_number": valid_id()}, headers=gate.headers
        )
        problem(response, 401, "unauthorized")
