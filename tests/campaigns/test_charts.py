"""Chart descriptions: the table behind a chart, its CSV, and the shapes ECharts cannot draw."""

from __future__ import annotations

import pytest

from campaigns.measurement.charts import bar_chart, funnel_chart, line_chart, sankey_chart


def test_a_line_chart_table_has_a_row_per_category():
    chart = line_chart(
        id="opens",
        title="Opens",
        categories=["Mo", "Di"],
        series={"A": [3, 4], "B": [5, 6]},
        category_label="Tag",
    )

    assert chart.table.header == ("Tag", "A", "B")
    assert chart.table.rows == (("Mo", 3, 5), ("Di", 4, 6))
    assert chart.spec["series"] == [{"name": "A", "data": [3, 4]}, {"name": "B", "data": [5, 6]}]


def test_the_csv_neutralises_formulas_and_keeps_negative_numbers():
    chart = bar_chart(
        id="revenue",
        title="Revenue",
        categories=["=cmd()", "@SUM(A1)"],
        series={"-net": [-12.5, 3]},
        category_label="Campaign",
    )

    assert chart.csv_text().splitlines() == ["Campaign,'-net", "'=cmd(),-12.5", "'@SUM(A1),3"]


def test_a_series_of_the_wrong_length_is_refused():
    with pytest.raises(ValueError, match="2 values for 3"):
        line_chart(
            id="x", title="X", categories=["a", "b", "c"], series={"s": [1, 2]}, category_label="c"
        )


def test_a_funnel_lists_its_steps_in_order():
    chart = funnel_chart(
        id="funnel",
        title="Funnel",
        steps=[("Sent", 100), ("Opened", 40), ("Clicked", 10)],
        step_label="Step",
        value_label="Contacts",
    )

    assert chart.table.rows == (("Sent", 100), ("Opened", 40), ("Clicked", 10))
    assert chart.spec["series"][0]["data"][1] == {"name": "Opened", "value": 40}


def test_a_sankey_link_back_to_an_earlier_column_is_refused():
    nodes = [("Awareness (1)", 0), ("Consideration (1)", 0), ("Awareness (2)", 1)]

    with pytest.raises(ValueError, match="later column"):
        sankey_chart(
            id="flows",
            title="Flows",
            nodes=nodes,
            links=[("Awareness (2)", "Consideration (1)", 1)],
            source_label="From",
            target_label="To",
            value_label="Contacts",
        )


def test_a_chart_id_must_be_usable_in_html_and_urls():
    with pytest.raises(ValueError, match="Chart id"):
        line_chart(id="Bad Id", title="X", categories=[], series={}, category_label="c")
