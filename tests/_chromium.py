"""Debian's chromium, headless, driven by Debian's chromedriver through selenium.

Nothing is downloaded: selenium is pointed at /usr/bin/chromedriver and /usr/bin/chromium,
with a throw-away profile, no network services of the browser's own, and file:// pages only.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests._daemon import wait_for

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"


@dataclass
class Page:
    """A loaded page: console errors, and a way to count elements."""

    driver: object
    console_errors: list[str]

    def count(self, css: str) -> int:
        """How many elements match `css`."""
        from selenium.webdriver.common.by import By

        return len(self.driver.find_elements(By.CSS_SELECTOR, css))  # type: ignore[attr-defined]


@contextlib.contextmanager
def chromium_driver(*extra_flags: str) -> Iterator[Any]:
    """A selenium driver of headless Debian chromium with a throw-away profile, its browser
    console kept (`driver.get_log("browser")`)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    with tempfile.TemporaryDirectory(prefix="chromium-") as profile:
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for flag in (
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            *extra_flags,
        ):
            options.add_argument(flag)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
        driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
        try:
            yield driver
        finally:
            driver.quit()


@contextlib.contextmanager
def open_page(path: Path) -> Iterator[Page]:
    """Open `path` in headless chromium; the page and the console errors it logged."""
    with chromium_driver() as driver:
        driver.set_page_load_timeout(60)
        driver.get(path.resolve().as_uri())
        logs = driver.get_log("browser")
        errors = [e["message"] for e in logs if e.get("level") == "SEVERE"]
        yield Page(driver, errors)


def wait_for_note(driver: Any, text: str, timeout_s: float = 15.0) -> None:
    """Wait until the page shows a `.note` containing `text`.

    A form's submit `click()` can return before the browser has left the page the form was
    on, which has no note: looking for the note once then fails at random. Poll instead
    (`wait_for`), and say on failure what the page showed."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By

    notes: list[str] = []

    def shown() -> bool:
        nonlocal notes
        try:
            notes = [e.text for e in driver.find_elements(By.CSS_SELECTOR, ".note")]
        except StaleElementReferenceException:  # the page changed while being read
            notes = []
        return any(text in note for note in notes)

    try:
        wait_for(shown, timeout_s)
    except AssertionError:
        raise AssertionError(
            f"no note with {text!r} within {timeout_s}s at {driver.current_url}: notes {notes}"
        ) from None
