"""GB 11643 validation and the masks, without I/O."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from identity import idcard
from tests.clocks import city_today

# Published example numbers (GB 11643-1999). The standard's other example, 440524188001010014,
# has a valid check digit but a birth year before 1900, which this service refuses as implausible.
KNOWN = ["11010519491231002X"]


class TestIsValid:
    @pytest.mark.parametrize("number", KNOWN)
    def test_known_valid_numbers(self, number: str) -> None:
        assert idcard.is_valid(number)
        assert idcard.is_valid(number.lower())

    def test_check_digit_is_iso_7064_mod_11_2(self) -> None:
        assert idcard.check_digit("11010519491231002") == "X"

    @pytest.mark.parametrize(
        "number",
        [
            "11010519491231002Y",  # not a digit or X
            "11010519491231002",  # 17 characters
            "110105194912310021X",  # 19 characters
            "11010519491231002 ",  # padded to 18 with a space
            "９１０１０５１９４９１２３１００２Ｘ",  # full-width digits
            "110105194913310021",  # month 13
            "110105190002290021",  # 1900 was not a leap year
        ],
    )
    def test_malformed(self, number: str) -> None:
        assert not idcard.is_valid(number)

    def test_born_before_1900_is_implausible(self) -> None:
        assert idcard.check_digit("44052418800101001") == "4"
        assert not idcard.is_valid("440524188001010014")

    def test_leap_day(self) -> None:
        first17 = "11010520000229001"
        assert idcard.is_valid(first17 + idcard.check_digit(first17))

    def test_birth_date_against_today(self) -> None:
        first17 = "11010520300101001"
        number = first17 + idcard.check_digit(first17)
        assert not idcard.is_valid(number, today=date(2029, 12, 31))
        assert idcard.is_valid(number, today=date(2030, 1, 1))

    def test_today_is_the_day_in_china_not_on_the_server(self) -> None:
        # 00:30 on 7 December in Hangzhou is still 6 December in UTC.
        assert idcard.city_today(datetime(2026, 12, 6, 16, 30, tzinfo=UTC)) == date(2026, 12, 7)
        assert idcard.city_today(datetime(2026, 12, 6, 15, 59, tzinfo=UTC)) == date(2026, 12, 6)
        assert idcard.city_today(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == date(2027, 1, 1)

    def test_a_number_born_today_in_china_is_valid_at_any_hour(self) -> None:
        today = city_today().strftime("%Y%m%d")
        born_today = f"330106{today}001"
        assert idcard.is_valid(born_today + idcard.check_digit(born_today))
        tomorrow = (city_today() + timedelta(days=1)).strftime("%Y%m%d")
        born_tomorrow = f"330106{tomorrow}001"
        assert not idcard.is_valid(born_tomorrow + idcard.check_digit(born_tomorrow))

    def test_every_province_code(self) -> None:
        for province in range(100):
            first17 = f"{province:02d}010519800101001"
            number = first17 + idcard.check_digit(first17)
            assert idcard.is_valid(number) == (province in idcard.PROVINCES)


class TestMasks:
    def test_id_number_mask(self) -> None:
        assert idcard.mask("11010519491231002x") == "110105********002X"

    def test_phone_mask(self) -> None:
        assert idcard.mask_phone("13800000000") == "138****0000"

    @pytest.mark.parametrize(
        ("name", "masked"),
        [("张三", "张*"), ("欧阳娜", "欧**"), ("欧阳娜娜", "欧***"), ("李", "李")],
    )
    def test_name_mask(self, name: str, masked: str) -> None:
        assert idcard.mask_name(name) == masked
