"""The overview page and its XLSX: sortable columns that work without JavaScript, this
month's overdue tasks by unit with names (and last month's during the first working days),
a heatmap legend whose swatches are the colours of its cells, periods in Chinese."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import update
from tests.web_support import WebWorld, web, world_template

from obligations.ledger import overview_xlsx
from obligations.models import Organization
from obligations.tasks.ranking import HEAT_BANDS, SortKey

__all__ = ["web", "world_template"]

CSS = Path(__file__).resolve().parents[1] / "src/obligations/web/static/app.css"
DECEMBER_1ST = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, a Tuesday
DECEMBER_4TH = datetime(2026, 12, 4, 2, 0, tzinfo=UTC)  # the fourth working day


def overview(web: WebWorld, query: str = "", username: str = "admin") -> lxml.html.HtmlElement:
    client, _ = web.login(username)
    response = client.get(f"/{query}")
    assert response.status_code == 200, response.text
    return lxml.html.fromstring(response.text)


def unit_order(tree: lxml.html.HtmlElement) -> list[str]:
    return [str(row.get("data-unit")) for row in tree.xpath("//table[@id='units']/tbody/tr")]


def row_of(tree: lxml.html.HtmlElement, code: str) -> dict[str, str]:
    [row] = tree.xpath(f"//table[@id='units']/tbody/tr[@data-unit='{code}']")
    return {str(td.get("class")): td.text_content().strip() for td in row.xpath("./td")}


def test_the_default_order_puts_the_unit_most_behind_first_and_says_so(web: WebWorld) -> None:
    tree = overview(web)
    u01, u02 = row_of(tree, "U01"), row_of(tree, "U02")
    rate = {code: float(row["num rate"].rstrip("%")) for code, row in (("U01", u01), ("U02", u02))}
    assert unit_order(tree) == sorted(rate, key=lambda code: rate[code])
    [sorted_header] = tree.xpath("//table[@id='units']//th[@aria-sort]")
    assert sorted_header.get("data-sort") == "rate"
    assert sorted_header.get("aria-sort") == "ascending"
    assert (u01["num rank"], u02["num rank"]) == ("2", "1")


def test_each_column_header_links_to_its_sort_and_the_sorted_one_flips(web: WebWorld) -> None:
    tree = overview(web, "?year=2026&sort=rank&dir=asc")
    links = {
        th.get("data-sort"): th.xpath("./a")[0].get("href")
        for th in tree.xpath("//table[@id='units']//th")
    }
    assert set(links) == {k.value for k in SortKey}
    assert links["rank"] == "/?year=2026&sort=rank&dir=desc"
    assert links["missed"] == "/?year=2026&sort=missed&dir=desc"
    assert links["rate"] == "/?year=2026&sort=rate&dir=asc"
    assert unit_order(tree) == ["U02", "U01"]
    assert unit_order(overview(web, "?sort=rank&dir=desc")) == ["U01", "U02"]
    assert unit_order(overview(web, "?sort=unit&dir=desc")) == ["U02", "U01"]
    [header] = tree.xpath("//th[@aria-sort]")
    assert (header.get("data-sort"), header.get("aria-sort")) == ("rank", "ascending")


def test_an_unknown_sort_is_refused_in_chinese_naming_the_choices(web: WebWorld) -> None:
    client, _ = web.login("admin")
    response = client.get("/?sort=1;drop&dir=up")
    assert response.status_code == 400
    assert "无法按“1;drop”排序" in response.text and "rate（完成率）" in response.text
    response = client.get("/?sort=rate&dir=up")
    assert response.status_code == 400 and "asc（升序）" in response.text
    assert "Traceback" not in response.text


def test_on_the_25th_this_months_list_is_headed_in_chinese_and_last_month_is_not_listed(
    web: WebWorld,
) -> None:
    tree = overview(web)
    sections = tree.xpath("//section[contains(@class, 'overdue-list')]")
    assert [s.get("data-window") for s in sections] == ["本月逾期"]
    assert "本月逾期（2026年11月）" in sections[0].text_content()


def test_on_december_1st_novembers_missed_tasks_are_listed_by_unit_with_names(
    web: WebWorld,
) -> None:
    web.clock[0] = DECEMBER_1ST
    tree = overview(web)
    sections = {s.get("data-window"): s for s in tree.xpath("//section")}
    assert set(sections) == {"本月逾期", "上月逾期"}
    last = sections["上月逾期"]
    assert "上月逾期（2026年11月）" in last.text_content()
    units = {d.get("data-unit"): d for d in last.xpath(".//details")}
    assert set(units) == {"U01", "U02"}
    text = units["U01"].text_content()
    assert "中心组理论学习" in text and "U01 组织" in text and "2026年11月30日" in text
    assert "2026年11月" in [td.text_content() for td in units["U01"].xpath(".//td")]
    assert not re.search(r"central-group-study|2026-11\b", lxml.html.tostring(last, encoding=str))


def test_after_the_third_working_day_only_this_month_is_listed(web: WebWorld) -> None:
    web.clock[0] = DECEMBER_4TH
    tree = overview(web)
    assert [s.get("data-window") for s in tree.xpath("//section")] == ["本月逾期"]


def test_the_legend_swatches_are_the_colours_of_the_cells_with_their_ranges(
    web: WebWorld,
) -> None:
    css = CSS.read_text(encoding="utf-8")
    for band in HEAT_BANDS:
        assert re.search(rf"\.{band.css} \{{ background: {band.colour}; \}}", css), band
    tree = overview(web)
    legend = tree.xpath("//ul[contains(@class, 'legend')]/li")
    swatches = [li.xpath("./span")[0].get("class").split()[1] for li in legend]
    assert swatches[: len(HEAT_BANDS)] == [b.css for b in HEAT_BANDS]
    assert [li.text_content().strip() for li in legend[:4]] == [
        "完成 0%–49%", "完成 50%–79%", "完成 80%–99%", "完成 100%",
    ]  # fmt: skip
    assert "颜色越深" not in lxml.html.tostring(tree, encoding=str)


def test_every_heatmap_cell_carries_its_number_and_the_current_month_is_not_coloured(
    web: WebWorld,
) -> None:
    tree = overview(web)
    [row] = tree.xpath("//table[contains(@class, 'heatmap')]/tbody/tr[@data-unit='U01']")
    cells = {int(td.get("data-month")): td for td in row.xpath("./td")}
    october, november, december = cells[10], cells[11], cells[12]
    assert re.match(r"\d+%，\d+ 项中完成 \d+ 项", october.text_content())
    assert october.get("class") == "h0"  # nothing recorded in October: red
    assert november.get("class") == "h-now" and "本月进行中" in november.text_content()
    assert december.get("class") == "h-none" and "%" not in december.text_content()


def test_the_xlsx_holds_the_table_in_the_pages_order_with_its_print_setup(web: WebWorld) -> None:
    with web.sessions.begin() as db:  # an imported name that a spreadsheet would run
        db.execute(update(Organization).where(Organization.code == "U02").values(name="=1+1"))
    tree = overview(web, "?sort=rank&dir=desc")
    [link] = tree.xpath("//a[contains(@href, '/overview.xlsx')]")
    assert link.get("href") == "/overview.xlsx?year=2026&sort=rank&dir=desc"
    client, _ = web.login("admin")
    response = client.get(link.get("href"))
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(overview_xlsx.XLSX_TYPE)
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = overview_xlsx.HEADER_ROW
    assert [c.value for c in sheet[header]] == [name for name, _ in overview_xlsx.COLUMNS]
    rows = [[c.value for c in row] for row in sheet.iter_rows(min_row=header + 1)]
    assert [r[1] for r in rows] == unit_order(tree) == ["U01", "U02"]
    page_u01 = row_of(tree, "U01")
    assert rows[0][0] == 2 and rows[0][3] == int(page_u01["num due-count"])
    assert rows[0][6] == int(page_u01["num overdue-count"])
    assert f"{rows[0][8]:.0%}" == page_u01["num rate"]
    assert sheet.cell(header + 1, 9).number_format == "0.0%"
    name = sheet.cell(header + 2, 3)
    assert name.value == "=1+1" and name.data_type == "s" and name.quotePrefix
    assert "按“排名”降序排列" in str(sheet["A2"].value)
    assert sheet.page_setup.orientation == "landscape"
    assert str(sheet.page_setup.paperSize) == sheet.PAPERSIZE_A4
    assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
    assert sheet.sheet_properties.pageSetUpPr.fitToPage
    assert sheet.print_title_rows == f"${header}:${header}"  # the header repeated


def test_the_xlsx_is_only_for_college_wide_accounts(web: WebWorld) -> None:
    client, _ = web.login("u01_manager")
    response = client.get("/overview.xlsx")
    assert response.status_code == 403 and "本单位页面" in response.text
