"""Every control on a page can be reached with the keyboard alone (issue 35, NF4): walk the
page with Tab in the engine at hand and name what focus never reached.

The controls are what a person can operate on the page as shown: links, buttons, fields,
drop-downs, summaries and anything with a tab stop, rendered and not inside something hidden
or inert or a closed ``<details>``. A group of radio buttons is one stop (arrows move inside
it), as is a roving tab stop (the seat map: one seat or section takes focus, arrows move it)."""

from __future__ import annotations

import json

from tests.browser.engines import Driver

CONTROLS = (
    "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]"
    ":not([tabindex='-1'])"
)

MARK = f"""(() => {{
  const stops = [];
  const groups = new Map();
  const folded = (e) => {{  // inside a closed <details>, other than its summary
    const d = e.closest('details:not([open])');
    return !!d && !(d.querySelector(':scope > summary') || d).contains(e);
  }};
  for (const e of document.querySelectorAll({json.dumps(CONTROLS)})) {{
    delete e.dataset.kw;
    if (e.matches(':disabled') || e.tabIndex < 0 || e.closest('[hidden], [inert]')) continue;
    if (folded(e)) continue;
    if (!e.getClientRects().length || getComputedStyle(e).visibility === 'hidden') continue;
    let stop = stops.length;
    if (e.type === 'radio' && e.name) {{
      if (groups.has(e.name)) stop = groups.get(e.name); else groups.set(e.name, stop);
    }}
    if (stop === stops.length) {{
      const label = (e.id ? '#' + e.id : '') || e.getAttribute('aria-label')
        || (e.textContent || '').trim().slice(0, 30) || e.getAttribute('name') || '';
      stops.push(e.tagName.toLowerCase() + ' ' + label);
    }}
    e.dataset.kw = String(stop);
  }}
  if (document.activeElement && document.activeElement.blur) document.activeElement.blur();
  return stops;
}})()"""

FOCUSED = (
    "(() => { const e = document.activeElement;"
    " return e && e.dataset && e.dataset.kw !== undefined ? Number(e.dataset.kw) : null; })()"
)


def unreachable(driver: Driver) -> list[str]:
    """Press Tab through the page from its start (a few more times than it has stops, as
    focus may pass through the browser's own chrome once): the controls never focused."""
    stops: list[str] = driver.evaluate(MARK)
    reached: set[int] = set()
    for _ in range(len(stops) + 4):
        driver.press("Tab")
        at = driver.evaluate(FOCUSED)
        if at is not None:
            reached.add(at)
        if len(reached) == len(stops):
            break
    return [stop for n, stop in enumerate(stops) if n not in reached]


def tab_to(driver: Driver, selector: str, limit: int = 80) -> None:
    """Press Tab from the page's start until ``selector`` matches the focused element."""
    driver.evaluate("(document.activeElement && document.activeElement.blur()) || true")
    for _ in range(limit):
        driver.press("Tab")
        if driver.evaluate(f"!!document.activeElement.matches({json.dumps(selector)})"):
            return
    raise AssertionError(f"{driver.engine}: Tab never reached {selector}")
