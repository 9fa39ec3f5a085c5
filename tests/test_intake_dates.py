"""Dates written the Chinese ways, found in text and file names; impossible ones refused."""

from __future__ import annotations

from datetime import date

import pytest

from obligations.evidence.bulk.dates import DateForm, chinese_number, find_dates


@pytest.mark.parametrize(
    ("written", "form"),
    [
        ("2026年3月12日", DateForm.CHINESE),
        ("2026 年 3 月 12 号", DateForm.CHINESE),
        ("二〇二六年三月十二日", DateForm.CHINESE_NUMERALS),
        ("二○二六年三月十二日", DateForm.CHINESE_NUMERALS),
        ("2026.3.12", DateForm.SEPARATED),
        ("2026-03-12", DateForm.SEPARATED),
        ("2026/3/12", DateForm.SEPARATED),
        ("２０２６．３．１２", DateForm.SEPARATED),
        ("3月12日", DateForm.MONTH_DAY),
        ("三月十二日", DateForm.MONTH_DAY),
    ],
)
def test_each_written_form_gives_the_twelfth_of_march(written: str, form: DateForm) -> None:
    scan = find_dates(f"会议于{written}召开", year=2026)
    assert [(d.day, d.form) for d in scan.dates] == [(date(2026, 3, 12), form)]


def test_eight_digits_are_a_date_in_file_names_only() -> None:
    assert [d.day for d in find_dates("20260312主题党日", compact=True).dates] == [
        date(2026, 3, 12)
    ]
    assert find_dates("编号20260312", compact=False).dates == []


def test_a_month_and_day_take_the_year_given_and_are_skipped_without_one() -> None:
    assert [d.day for d in find_dates("12月1日", year=2025).dates] == [date(2025, 12, 1)]
    assert find_dates("12月1日").dates == []


def test_a_full_date_is_not_found_a_second_time_as_month_and_day() -> None:
    scan = find_dates("时间：2026年3月12日至3月13日", year=2026)
    assert [d.day for d in scan.dates] == [date(2026, 3, 12), date(2026, 3, 13)]


@pytest.mark.parametrize(
    "written", ["2026年2月30日", "2026-13-01", "2026.4.31", "二〇二六年二月三十日", "2月29日"]
)
def test_a_date_that_does_not_exist_is_refused_not_shifted(written: str) -> None:
    scan = find_dates(written, year=2026)
    assert scan.dates == [] and scan.refused == [written]


def test_dates_come_in_the_order_they_are_written() -> None:
    scan = find_dates("2026-05-20 支委会；补记 2026年4月1日", year=2026)
    assert [d.day for d in scan.dates] == [date(2026, 5, 20), date(2026, 4, 1)]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("十", 10),
        ("十二", 12),
        ("二十", 20),
        ("二十三", 23),
        ("三十一", 31),
        ("7", 7),
        ("十十", None),
    ],
)
def test_chinese_numbers_up_to_ninety_nine(text: str, value: int | None) -> None:
    assert chinese_number(text) == value
