"""The roles' web pages: an HTML dashboard rendered from plain data, and the JSON helpers.

Every role's `/stats` is a list of sections, each a key/value table or a table of rows,
rendered with a small stylesheet so a person can read it at a glance (status colours, rates
over 1 s ... 1 day). `/jsonstats` serves the same figures as standard JSON.

A page opened in a browser with JavaScript keeps itself up to date over `/stats/live`
(`live.py`): a small script patches the cells that changed. Without JavaScript it reloads
every few seconds (a refresh inside <noscript>), as it always did.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

import attrs

from cocoon.roles.common.counters import WINDOW_NAMES, CounterSet


def escape(text: str) -> str:
    """`html.escape(text)` (quotes included), without importing `html`: its entity tables
    cost every role about 0.3 MB at rest for pages that may never be opened (issue 17)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text.replace('"', "&quot;").replace("'", "&#x27;")


_STYLE = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,sans-serif;margin:0;background:#f6f7f9;color:#1d2330}
header{background:#1d2330;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header .sub{opacity:.7;font-size:12px;overflow-wrap:anywhere}main{padding:16px 24px;display:grid;gap:16px;
grid-template-columns:repeat(auto-fill,minmax(min(520px,100%),1fr))}section{background:#fff;border-radius:8px;
box-shadow:0 1px 3px rgba(0,0,0,.08);padding:12px 16px;overflow-x:auto}section.wide{grid-column:1/-1}
h2{font-size:13px;letter-spacing:.06em;text-transform:uppercase;color:#5a6272;margin:0 0 8px}
table{border-collapse:collapse;width:100%}td,th{padding:4px 8px;border-bottom:1px solid #eef0f3;
text-align:left;vertical-align:baseline;font-variant-numeric:tabular-nums}th{color:#5a6272;font-weight:600;white-space:nowrap}
td.n,th.n{text-align:right}.long{overflow-wrap:anywhere}
td.k{color:#5a6272;width:35%}.ok{color:#13795b;font-weight:600}.warn{color:#a15c00;font-weight:600}
.bad{color:#b3261e;font-weight:600}code{font-size:12px;word-break:break-all}
a{color:#2457c5}form{display:inline}button{font:inherit;cursor:pointer;white-space:nowrap;margin:1px 0}
header .live{float:right;font-size:12px;opacity:.8}header .live.on::before{content:"\\25CF  ";color:#3ddc97}
td.flash,section.flash{animation:flash 1s ease-out}@keyframes flash{from{background:#fff3b0}to{background:transparent}}
"""

# The live script: follows `/stats/live` (server-sent events, see live.py) and patches the
# tables in place: a cell whose HTML changed is replaced (and flashes), a section whose shape
# changed is replaced whole, sections that came or went are added or removed. When the stream is refused
# (too many live pages, a stale token) it falls back to reloading, as without JavaScript.
_SCRIPT = """
(() => {
  const url = document.body.dataset.live, main = document.querySelector("main");
  const mark = document.getElementById("live");
  if (!url || !window.EventSource) { setTimeout(() => location.reload(), RELOAD_MS); return; }
  const say = (text, on) => { mark.textContent = text; mark.classList.toggle("on", on); };
  const flash = (el) => { el.classList.remove("flash"); void el.offsetWidth; el.classList.add("flash"); };
  const fresh = (text) => {
    const t = document.createElement("template"); t.innerHTML = text; return t.content.firstElementChild;
  };
  const lit = (section, column) => {
    const only = section.dataset.flash; return only === undefined || only.split(",").includes(String(column));
  };
  const patch = (key, text) => {
    const old = main.querySelector(`section[data-key="${CSS.escape(key)}"]`), now = fresh(text);
    if (!old) { main.appendChild(now); return; }
    const a = old.querySelectorAll("tr"), b = now.querySelectorAll("tr");
    if (a.length !== b.length || [...a].some((r, i) => r.cells.length !== b[i].cells.length)) {
      old.replaceWith(now); flash(now); return;
    }
    a.forEach((row, i) => [...row.cells].forEach((c, j) => {
      const n = b[i].cells[j];
      if (c.innerHTML !== n.innerHTML) { c.innerHTML = n.innerHTML; if (lit(old, j)) flash(c); }
    }));
  };
  const source = new EventSource(url);
  source.onopen = () => say("live", true);
  source.onmessage = (e) => {
    const d = JSON.parse(e.data);
    if (d.subtitle !== undefined) document.getElementById("subtitle").textContent = d.subtitle;
    if (d.order) {
      const keep = new Set(d.order);
      main.querySelectorAll("section").forEach((s) => { if (!keep.has(s.dataset.key)) s.remove(); });
    }
    for (const [key, text] of Object.entries(d.html)) patch(key, text);
    if (d.order) d.order.forEach((key) => {
      const s = main.querySelector(`section[data-key="${CSS.escape(key)}"]`); if (s) main.appendChild(s);
    });
    document.body.dataset.updates = String(Number(document.body.dataset.updates || 0) + 1);
    say("live", true);
  };
  source.onerror = () => {
    if (source.readyState === EventSource.CLOSED) {
      say(`reloading every ${RELOAD_MS / 1000} s`, false);
      setTimeout(() => location.reload(), RELOAD_MS);
    } else say("reconnecting\u2026", false);
  };
})();
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
    return f'<input type="hidden" name="{escape(name)}" value="{escape(value)}">'


@attrs.frozen
class Section:
    title: str
    items: Mapping[str, Any] | None = None  # key/value table
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[Any]] = ()  # table of rows
    wide: bool = False
    # The columns whose cells flash when a live update changes them (None: all). Rates over
    # short windows change every second: flashing them would only distract.
    flash_columns: Sequence[int] | None = None


def cell(value: Any) -> str:
    if isinstance(value, Status):
        return f'<span class="{value.level}">{escape(value.text)}</span>'
    if isinstance(value, Link):
        return f'<a href="{escape(value.href)}">{escape(value.text)}</a>'
    if isinstance(value, Button):
        fields = "".join(_input(k, v) for k, v in value.fields.items())
        action = escape(value.action)
        return f'<form method="post" action="{action}">{fields}<button>{escape(value.text)}</button></form>'
    if isinstance(value, bool):
        return cell(Status("yes", "ok") if value else Status("no", "warn"))
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 1e6 else f"{value:.4g}"
    if isinstance(value, bytes):
        return f"<code>{value.hex()}</code>"
    if isinstance(value, list | tuple):
        # A value and its controls on one line; several values one per line.
        inline = any(isinstance(v, Button | Link) for v in value)
        return (" " if inline else "<br>").join(cell(v) for v in value)
    if value is None:
        return "&mdash;"
    return _text(str(value))


def _text(text: str) -> str:
    if _LONG_WORD.search(text):  # an address or hash: may break anywhere, other words may not
        return f'<span class="long">{escape(text)}</span>'
    return escape(text)


_LONG_WORD = re.compile(r"\S{25}")


def _numeric(value: Any) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


@attrs.frozen
class Page:
    """A dashboard: what `/stats` renders and `/stats/live` sends the changes of."""

    title: str
    subtitle: str
    sections: Sequence[Section]

    def render(self, *, live: str | None = None, refresh: int = 5) -> str:
        return render_page(self.title, self.subtitle, self.sections, refresh=refresh, live=live)

    def parts(self) -> dict[str, str]:
        """Each section's HTML by its key, in page order (what the live channel compares)."""
        return {
            key: render_section(s, key)
            for key, s in zip(section_keys(self.sections), self.sections, strict=True)
        }


def section_keys(sections: Sequence[Section]) -> list[str]:
    """A stable name per section (its title as a slug; a repeated title gets a suffix), by
    which the live script finds the section to patch."""
    keys: list[str] = []
    for section in sections:
        base = re.sub(r"[^a-z0-9]+", "-", section.title.lower()).strip("-") or "section"
        key, n = base, 2
        while key in keys:
            key, n = f"{base}-{n}", n + 1
        keys.append(key)
    return keys


def render_section(section: Section, key: str = "") -> str:
    css = "wide" if section.wide else ""
    data = f' data-key="{escape(key)}"' if key else ""
    if section.flash_columns is not None:
        data += f' data-flash="{",".join(str(i) for i in section.flash_columns)}"'
    parts = [f'<section class="{css}"{data}><h2>{escape(section.title)}</h2><table>']
    if section.items is not None:
        for key, value in section.items.items():
            parts.append(f'<tr><td class="k">{_text(key)}</td><td>{cell(value)}</td></tr>')
    if section.columns:
        # Columns of numbers only are aligned right, their heads with them.
        numeric = [
            all(len(r) > i and _numeric(r[i]) for r in section.rows)
            and any(r[i] is not None for r in section.rows)
            for i in range(len(section.columns))
        ]
        align = [' class="n"' if n else "" for n in numeric]
        heads = "".join(
            f"<th{a}>{escape(c)}</th>" for c, a in zip(section.columns, align, strict=True)
        )
        parts.append(f"<tr>{heads}</tr>")
        for row in section.rows:
            cells = "".join(
                f"<td{align[i] if i < len(align) else ''}>{cell(v)}</td>" for i, v in enumerate(row)
            )
            parts.append(f"<tr>{cells}</tr>")
        if not section.rows:
            parts.append(f'<tr><td colspan="{len(section.columns)}">none</td></tr>')
    parts.append("</table></section>")
    return "".join(parts)


def render_page(
    title: str,
    subtitle: str,
    sections: Iterable[Section],
    *,
    refresh: int = 5,
    live: str | None = None,
) -> str:
    """The whole page. With `live` (the `/stats/live` URL, token included) its script keeps
    it current; without JavaScript (or when the live channel is refused) it reloads every
    `refresh` seconds."""
    sections = list(sections)
    body = "".join(
        render_section(s, k) for s, k in zip(sections, section_keys(sections), strict=True)
    )
    data = f' data-live="{escape(live)}"' if live else ""
    script = _SCRIPT.replace("RELOAD_MS", str(refresh * 1000))
    return (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width,initial-scale=1'>"
        # No icon to fetch: a browser's GET of /favicon.ico has no token and is refused.
        "<link rel='icon' href='data:,'>"
        f"<noscript><meta http-equiv='refresh' content='{refresh}'></noscript>"
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head><body{data}>"
        f"<header><span class='live' id='live'>refreshes every {refresh} s</span>"
        f"<h1>{escape(title)}</h1><div class='sub' id='subtitle'>{escape(subtitle)}</div>"
        f"</header><main>{body}</main><script>{script}</script></body></html>"
    )


def counters_section(title: str, stats: CounterSet, names: Sequence[str]) -> Section:
    """Rates over each window, the reference's STATS table (`total, 1s, 10s, ...`)."""
    rows = []
    for name in names:
        values = stats[name].as_list()
        rows.append([name.replace("_", " "), *[round(v, 3) for v in values]])
    return Section(title, columns=["", *WINDOW_NAMES], rows=rows, wide=True, flash_columns=(1,))


def stats_link(access_hash: str) -> str:
    """`/stats` with the access token, as the pages link back to it."""
    return f"/stats?{urlencode({'access_hash': access_hash})}" if access_hash else "/stats"


def short_html(text: str, back: str = "/stats") -> str:
    """The reference's answer to `/request/*` actions: a line and a link back to `/stats`."""
    href = escape(back)
    return f'<!DOCTYPE html><html><body>{escape(text)}<br/><a href="{href}">back to stats</a></body></html>'
