"""What the browser tests do with a page, whatever they test."""

from __future__ import annotations

from playwright.sync_api import Page


def settled(page: Page) -> None:
    """Wait until htmx has settled its swaps. New content is wired up (hx-post and so on)
    only at settle, 20 ms after the swap: a form submitted before that is posted natively.

    The predicate is a function, not a bare expression: Playwright polls a bare expression
    with eval, which the site's Content Security Policy forbids.
    """
    page.wait_for_function(
        "() => !document.querySelector('.htmx-added, .htmx-settling, .htmx-swapping, "
        ".htmx-request')"
    )
