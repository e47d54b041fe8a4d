"""Chart descriptions for the admin dashboards, drawn in the browser by Apache ECharts.

A ``Chart`` is built once per request from the numbers a dashboard computed. The same object
gives the browser its JSON (``Chart.spec``, handed to the page with ``json_script`` and drawn
by ``campaigns/static/campaigns/charts.js``), the server-rendered table behind the chart
(``Chart.table``: the accessible view, shown without JavaScript), and the CSV download
(``chart_csv_response``). So the picture, the table and the file always show the same numbers.

A page shows a chart with ``{% include "campaigns/charts/chart.html" with chart=chart %}``
and loads ``campaigns/vendor/echarts/echarts.min.js`` and ``campaigns/charts.js`` (see
``campaigns/charts/scripts.html``). Its view mixes in ``ChartCSVMixin`` and returns its charts
from ``get_charts()``; ``?chart=<id>&format=csv`` then answers with that chart's table.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.http import Http404, HttpResponse
from django.utils.translation import gettext_lazy as _

from core.spreadsheets import neutralise_formula

ChartKind = Literal["line", "bar", "funnel", "sankey"]
CHART_ID = re.compile(r"^[a-z][a-z0-9-]{0,49}$")


@dataclass(frozen=True)
class Table:
    """The numbers behind a chart: a header row and data rows, as a spreadsheet has them."""

    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]


@dataclass(frozen=True)
class Chart:
    """One chart: what ECharts draws and the table it is drawn from.

    ``id`` names the chart on its page (the DOM ids and ``?chart=`` of the CSV download);
    lower-case letters, digits and hyphens. ``series`` is ``[{"name": ..., "data": [...]}]``
    for line and bar charts (one value per category) and for a funnel (``data`` holds
    ``{"name", "value"}`` steps); a Sankey has ``nodes`` (``{"name", "depth"}``) and ``links``
    (``{"source", "target", "value"}``).
    """

    id: str
    title: str
    kind: ChartKind
    table: Table
    categories: tuple[str, ...] = ()
    series: tuple[dict[str, Any], ...] = ()
    nodes: tuple[dict[str, Any], ...] = ()
    links: tuple[dict[str, Any], ...] = ()
    stacked: bool = False
    description: str = ""
    height: int = 400
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not CHART_ID.match(self.id):
            raise ValueError(f"Chart id {self.id!r}: lower-case letters, digits and hyphens.")

    @property
    def dom_id(self) -> str:
        return f"chart-{self.id}"

    @property
    def spec_id(self) -> str:
        return f"chart-{self.id}-spec"

    @property
    def is_empty(self) -> bool:
        return not self.table.rows

    @property
    def spec(self) -> dict[str, Any]:
        """What ``charts.js`` needs to draw the chart, JSON-serialisable."""
        return {
            "id": self.id,
            "title": str(self.title),
            "kind": self.kind,
            "categories": list(self.categories),
            "series": [dict(item) for item in self.series],
            "nodes": [dict(item) for item in self.nodes],
            "links": [dict(item) for item in self.links],
            "stacked": self.stacked,
            "labels": {
                "png": str(_("Save as PNG")),
                "svg": str(_("Save as SVG")),
                "empty": str(_("No data for this period.")),
            },
            **self.extra,
        }

    def csv_text(self) -> str:
        """The table as CSV; text cells that a spreadsheet would evaluate are neutralised."""
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([neutralise_formula(str(cell)) for cell in self.table.header])
        for row in self.table.rows:
            writer.writerow([neutralise_formula(_cell(cell)) for cell in row])
        return buffer.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, (int, float)):
        return value
    return str(value)


def _xy_chart(
    kind: ChartKind,
    *,
    id: str,
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | int | None]],
    category_label: str,
    stacked: bool,
    description: str,
) -> Chart:
    categories = tuple(str(category) for category in categories)
    for name, values in series.items():
        if len(values) != len(categories):
            raise ValueError(f"Series {name!r} has {len(values)} values for {len(categories)}.")
    names = [str(name) for name in series]
    columns = list(series.values())
    rows = tuple(
        (category, *(values[index] for values in columns))
        for index, category in enumerate(categories)
    )
    return Chart(
        id=id,
        title=title,
        kind=kind,
        table=Table(header=(str(category_label), *names), rows=rows),
        categories=categories,
        series=tuple(
            {"name": name, "data": list(values)}
            for name, values in zip(names, columns, strict=True)
        ),
        stacked=stacked,
        description=description,
    )


def line_chart(
    *,
    id: str,
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | int | None]],
    category_label: str,
    stacked: bool = False,
    description: str = "",
) -> Chart:
    """Lines over ``categories`` (periods, days); stacked draws them as stacked areas."""
    return _xy_chart(
        "line",
        id=id,
        title=title,
        categories=categories,
        series=series,
        category_label=category_label,
        stacked=stacked,
        description=description,
    )


def bar_chart(
    *,
    id: str,
    title: str,
    categories: Sequence[str],
    series: Mapping[str, Sequence[float | int | None]],
    category_label: str,
    stacked: bool = False,
    description: str = "",
) -> Chart:
    """Bars per category, one colour per series (grouped, or stacked)."""
    return _xy_chart(
        "bar",
        id=id,
        title=title,
        categories=categories,
        series=series,
        category_label=category_label,
        stacked=stacked,
        description=description,
    )


def funnel_chart(
    *,
    id: str,
    title: str,
    steps: Sequence[tuple[str, float | int]],
    step_label: str,
    value_label: str,
    description: str = "",
) -> Chart:
    """A funnel of steps in order (sent, opened, clicked, ordered)."""
    data = [{"name": str(name), "value": value} for name, value in steps]
    return Chart(
        id=id,
        title=title,
        kind="funnel",
        table=Table(
            header=(str(step_label), str(value_label)),
            rows=tuple((str(name), value) for name, value in steps),
        ),
        categories=tuple(item["name"] for item in data),
        series=({"name": str(title), "data": data},),
        description=description,
    )


def sankey_chart(
    *,
    id: str,
    title: str,
    nodes: Sequence[tuple[str, int] | tuple[str, int, int]],
    links: Sequence[tuple[str, str, float | int]],
    source_label: str,
    target_label: str,
    value_label: str,
    description: str = "",
    height: int = 500,
) -> Chart:
    """Flows between nodes; ``nodes`` are ``(name, column)`` or ``(name, column, colour)``
    (an index into the palette, so one phase has one colour in every column), ``links`` are
    ``(source, target, value)``. Names must be unique, and a link must go to a later column,
    so the graph never has a cycle (which ECharts cannot draw)."""
    depth = {node[0]: node[1] for node in nodes}
    for source, target, _value in links:
        if source not in depth or target not in depth:
            raise ValueError(f"Link {source!r} -> {target!r} names an unknown node.")
        if depth[target] <= depth[source]:
            raise ValueError(f"Link {source!r} -> {target!r} does not go to a later column.")
    return Chart(
        id=id,
        title=title,
        kind="sankey",
        table=Table(
            header=(str(source_label), str(target_label), str(value_label)),
            rows=tuple((source, target, value) for source, target, value in links),
        ),
        nodes=tuple(
            {"name": node[0], "depth": node[1], **({"colour": node[2]} if len(node) > 2 else {})}
            for node in nodes
        ),
        links=tuple(
            {"source": source, "target": target, "value": value} for source, target, value in links
        ),
        description=description,
        height=height,
    )


def chart_csv_response(chart: Chart, *, filename: str = "") -> HttpResponse:
    response = HttpResponse(chart.csv_text(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename or chart.id}.csv"'
    return response


class ChartCSVMixin:
    """For a view that shows charts: ``?chart=<id>&format=csv`` downloads that chart's table.

    The view returns its charts from ``get_charts()`` (after its own permission checks, which
    run first as for every request); ``chart_csv_filename`` may name the file.
    """

    chart_csv_filename = ""

    def get_charts(self) -> list[Chart]:
        raise NotImplementedError

    def get(self, request, *args, **kwargs):
        if request.GET.get("format") == "csv" and "chart" in request.GET:
            wanted = request.GET["chart"]
            for chart in self.get_charts():
                if chart.id == wanted:
                    name = "-".join(part for part in (self.chart_csv_filename, chart.id) if part)
                    return chart_csv_response(chart, filename=name)
            raise Http404("No such chart on this page.")
        return super().get(request, *args, **kwargs)
