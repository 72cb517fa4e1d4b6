"""axe-core in the browser tests' pages: every violation, of any impact, fails the test.

axe is run through the DevTools protocol (page.evaluate), which the site's Content Security
Policy does not govern, so the pages are checked as they are served: with their CSP on.
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Page

AXE = Path(__file__).parent / "assets" / "axe-core" / "axe.min.js"
_source: str | None = None

# WCAG 2.1 A and AA, and axe's best practices.
RUN = """async () => {
  const results = await axe.run(document, {
    runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]},
  });
  return results.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + ": " + n.failureSummary),
  }));
}"""


def violations(page: Page) -> list[dict]:
    global _source
    if _source is None:
        _source = AXE.read_text()
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_source)
    return page.evaluate(RUN)


def describe(found: list[dict]) -> str:
    return "\n".join(
        f"{v['impact']} {v['id']}: {v['help']}\n    " + "\n    ".join(v["nodes"]) for v in found
    )


def assert_accessible(page: Page, where: str = "") -> None:
    found = violations(page)
    assert not found, f"axe on {where or page.url}:\n{describe(found)}"
