"""A report as a page: the chart (``reports.chart``), the table and links to the exports.
Server-rendered with Jinja2 (autoescape on): there is no staff back office in the browser
yet, so the page is an API route like the others and takes the same staff bearer token."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from admit.reports.chart import bar_chart
from admit.reports.exports import table_lines
from admit.reports.figures import Figures, Row
from admit.reports.kinds import Kind, cell

HERE = Path(__file__).parent


@lru_cache(maxsize=1)
def _template() -> Template:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("report.html")


def render(
    kind: Kind,
    fig: Figures,
    rows: list[Row],
    *,
    base: str,
    organiser_id: int,
    query: dict[str, str],
    css: str,
    note: str = "",
) -> str:
    """The page; ``base`` is the report's path without a suffix, ``query`` its parameters."""

    def url(suffix: str, **changes: str) -> str:
        return f"{base}{suffix}?{urlencode({**query, **changes})}"

    lines = list(table_lines(kind, fig, rows))
    bills = kind.name == "bills"
    finance = base.replace("/reports/", "/finance/bills/").rsplit("/", 1)[0]
    return _template().render(
        title=kind.title,
        by=fig.dimension,
        first=fig.period.first,
        last=fig.period.last,
        organiser_id=organiser_id,
        note=note,
        dimensions=kind.dimensions,
        links={d: url(".html", by=d) for d in kind.dimensions},
        csv_url=url(".csv"),
        xlsx_url=url(".xlsx"),
        json_url=url(""),
        css=css,
        chart=bar_chart(
            [r.label for r in rows],
            [int(cell(r, kind.chart)) for r in rows],
            caption=f"{kind.chart} by {fig.dimension}",
        ),
        chart_caption=f"{kind.chart} by {fig.dimension}",
        headers=lines[0],
        lines=[
            {
                "cells": line,
                "bill": f"{finance}/{row.key}",
                "bill_xlsx": f"{base.rsplit('/', 1)[0]}/bills/{row.key}.xlsx",
            }
            for line, row in zip(lines[1:-1], rows, strict=True)
        ],
        total=lines[-1],
        bills=bills,
    )
