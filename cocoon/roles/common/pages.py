"""The roles' web pages: an HTML dashboard rendered from plain data, and the JSON helpers.

Every role's `/stats` is a list of sections, each a key/value table or a table of rows,
rendered with a small stylesheet so a person can read it at a glance (status colours, rates
over 1 s ... 1 day). `/jsonstats` serves the same figures as standard JSON.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import attrs

from cocoon.roles.common.counters import WINDOW_NAMES, CounterSet

_STYLE = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header .sub{opacity:.7;font-size:12px}main{padding:16px 24px;display:grid;gap:16px;
grid-template-columns:repeat(auto-fill,minmax(520px,1fr))}section{background:#fff;border-radius:8px;
box-shadow:0 1px 3px rgba(0,0,0,.08);padding:12px 16px;overflow-x:auto}section.wide{grid-column:1/-1}
h2{font-size:13px;letter-spacing:.06em;text-transform:uppercase;color:#5a6272;margin:0 0 8px}
table{border-collapse:collapse;width:100%}td,th{padding:4px 8px;border-bottom:1px solid #eef0f3;
text-align:left;vertical-align:top;font-variant-numeric:tabular-nums;overflow-wrap:anywhere}th{color:#5a6272;font-weight:600}
td.k{color:#5a6272;width:35%}.ok{color:#13795b;font-weight:600}.warn{color:#a15c00;font-weight:600}
.bad{color:#b3261e;font-weight:600}code{font-size:12px;word-break:break-all}
a{color:#2457c5}form{display:inline}button{font:inherit;cursor:pointer}
"""


@attrs.frozen
class Status:
    """A value shown green, yellow or red."""

    text: str
    level: str = "ok"  # ok | warn | bad


@attrs.frozen
class Link:
    text: str
    href: str


@attrs.frozen
class Button:
    """A control: a form that POSTs `fields` (the access and CSRF tokens among them) to
    `action`, so that no link or cross-site GET can change state."""

    text: str
    action: str
    fields: Mapping[str, str] = attrs.field(factory=dict)


def _input(name: str, value: str) -> str:
    return (
        f'<input type="hidden" name="{html.escape(name, quote=True)}" '
        f'value="{html.escape(value, quote=True)}">'
    )


@attrs.frozen
class Section:
    title: str
    items: Mapping[str, Any] | None = None  # key/value table
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[Any]] = ()  # table of rows
    wide: bool = False


def cell(value: Any) -> str:
    if isinstance(value, Status):
        return f'<span class="{value.level}">{html.escape(value.text)}</span>'
    if isinstance(value, Link):
        return f'<a href="{html.escape(value.href, quote=True)}">{html.escape(value.text)}</a>'
    if isinstance(value, Button):
        fields = "".join(_input(k, v) for k, v in value.fields.items())
        action = html.escape(value.action, quote=True)
        return f'<form method="post" action="{action}">{fields}<button>{html.escape(value.text)}</button></form>'
    if isinstance(value, bool):
        return cell(Status("yes", "ok") if value else Status("no", "warn"))
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1e6 else f"{value:.4g}"
    if isinstance(value, bytes):
        return f"<code>{value.hex()}</code>"
    if isinstance(value, list | tuple):
        return "<br>".join(cell(v) for v in value)
    if value is None:
        return "&mdash;"
    return html.escape(str(value))


def render_section(section: Section) -> str:
    parts = [
        f'<section class="{"wide" if section.wide else ""}"><h2>{html.escape(section.title)}</h2><table>'
    ]
    if section.items is not None:
        for key, value in section.items.items():
            parts.append(f'<tr><td class="k">{html.escape(key)}</td><td>{cell(value)}</td></tr>')
    if section.columns:
        parts.append(
            "<tr>" + "".join(f"<th>{html.escape(c)}</th>" for c in section.columns) + "</tr>"
        )
        for row in section.rows:
            parts.append("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>")
        if not section.rows:
            parts.append(f'<tr><td colspan="{len(section.columns)}">none</td></tr>')
    parts.append("</table></section>")
    return "".join(parts)


def render_page(title: str, subtitle: str, sections: Iterable[Section], *, refresh: int = 5) -> str:
    body = "".join(render_section(s) for s in sections)
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<meta http-equiv='refresh' content='{refresh}'><title>{html.escape(title)}</title>"
        f"<style>{_STYLE}</style></head><body><header><h1>{html.escape(title)}</h1>"
        f"<div class='sub'>{html.escape(subtitle)}</div></header><main>{body}</main></body></html>"
    )


def counters_section(title: str, stats: CounterSet, names: Sequence[str]) -> Section:
    """Rates over each window, the reference's STATS table (`total, 1s, 10s, ...`)."""
    rows = []
    for name in names:
        values = stats[name].as_list()
        rows.append([name.replace("_", " "), *[round(v, 3) for v in values]])
    return Section(title, columns=["", *WINDOW_NAMES], rows=rows, wide=True)


def stats_link(access_hash: str) -> str:
    """`/stats` with the access token, as the pages link back to it."""
    return f"/stats?{urlencode({'access_hash': access_hash})}" if access_hash else "/stats"


def short_html(text: str, back: str = "/stats") -> str:
    """The reference's answer to `/request/*` actions: a line and a link back to `/stats`."""
    href = html.escape(back, quote=True)
    return f'<!DOCTYPE html><html><body>{html.escape(text)}<br/><a href="{href}">back to stats</a></body></html>'
