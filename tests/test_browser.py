"""The documentation site as a reader sees it: every page opened in a real headless Chromium.

The site built once per run (``built_site`` in conftest.py, shared with tests/test_docs.py)
is served on 127.0.0.1 and every page is opened at 1280 px and at a 390 px phone width.
A page fails when, at 1280 px:

* **the page scrolls sideways**: ``document.documentElement.scrollWidth`` exceeds its
  ``clientWidth``;
* **an element leaves the text column**: the column is the content box of
  ``article.bd-article`` (its padding excluded). Any element of the article whose box
  reaches past the column's left or right edge by more than 1 px fails, except the
  contents of a box that scrolls or clips on its own (computed ``overflow-x`` other than
  ``visible``: a code block's ``pre``, the theme's ``.pst-scrollable-table-container``
  around each table). That box is itself an element of the article and must fit, and
  the article's own scroll container (``.bd-article-container``, ``overflow-x: auto``)
  must not scroll either;
* **a code example scrolls sideways** inside its box (a ``pre`` whose ``scrollWidth``
  exceeds its ``clientWidth``): examples are written to fit the column;
* **the key-layout table scrolls** inside its box (other wide tables may, in their own);
* **an image is missing**: an ``img`` not loaded or with ``naturalWidth`` 0, or any
  request the server answered with an error;
* **the browser console logs an error** (level SEVERE: a script error, a failed load);
* **the navbar wraps**: its links are not on one line.

At 390 px (a phone: touch, overlay scrollbars) every check runs again but the code,
key-layout and navbar ones: on a phone code and tables may scroll in their own boxes,
and the navbar is a menu. Screenshots of the landing page, the key-layout page, two guide
pages and the performance page at both widths (whole pages, up to 6000 px tall) are
written to ``docs/_build/screens/``. The whole check takes ~15 s here.

Chromium and chromedriver are Debian's (``make browser`` installs them); Selenium is
given both paths, so Selenium Manager -- which would download a browser or a driver -- is
never run (a guard below fails the test if it were). Without them the test skips, unless
``SEEDPOOL_REQUIRE_BROWSER`` is set (CI sets it): then it fails.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import os
import re
import shutil
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO, SiteBuild

pytestmark = pytest.mark.matrix_skip  # needs the docs extra and a browser; 3.11 only

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
SCREENS = REPO / "docs" / "_build" / "screens"
DESKTOP, PHONE = 1280, 390
# Pages photographed at both widths (the landing, key-layout and two guide
# pages, and the performance page's figures).
SCREENSHOT_PAGES = ["index.html", "key-layout.html", "guide/process-pools.html", "guide/torch.html",
                    "performance.html"]
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-dev-shm-usage"]


def _unavailable(reason: str) -> None:
    if os.environ.get("SEEDPOOL_REQUIRE_BROWSER"):
        pytest.fail(f"{reason}; SEEDPOOL_REQUIRE_BROWSER is set, so the browser check must run "
                    "(`make browser` installs Chromium and chromedriver, `make test` the docs extra)")
    pytest.skip(reason)


# -- serving the site ------------------------------------------------------------------------
class _Handler(http.server.SimpleHTTPRequestHandler):
    errors: list[str]

    def log_request(self, code: Any = "-", size: Any = "-") -> None:
        with contextlib.suppress(TypeError, ValueError):
            if int(code) >= 400:
                self.errors.append(f"{int(code)} {self.path}")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 (the stdlib's name)
        pass


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[tuple[str, list[str]]]:
    """Serve ``directory`` on 127.0.0.1 (an ephemeral port): ``(base URL, error log)``."""
    errors: list[str] = []
    handler = type("Handler", (_Handler,), {"errors": errors})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(handler, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/", errors
    finally:
        server.shutdown()
        server.server_close()


# -- the browser -----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
        from selenium.webdriver.common import selenium_manager
    except ImportError:
        _unavailable("selenium is not installed (the docs extra)")
    if not (os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)):
        _unavailable(f"no Chromium/chromedriver at {CHROMIUM}, {CHROMEDRIVER}")

    def no_download(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("Selenium Manager was asked for a browser or a driver: it would download one")

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="seedpool-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    options.add_argument(f"--window-size={DESKTOP},900")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(selenium_manager.SeleniumManager, "binary_paths", no_download)
        driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    driver.set_script_timeout(20)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def set_width(driver: Any, width: int, height: int = 900) -> None:
    """Lay pages out ``width`` CSS px wide: a desktop window, or a phone (touch, overlay
    scrollbars, the page's meta viewport honoured)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 700})


# The checks, run in the page once it has loaded; see the module docstring.
_CHECK_JS = r"""
const done = arguments[arguments.length - 1];
const desktop = arguments[0];
document.fonts.ready.then(() => {
  const problems = [], notes = [];
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    if (el.classList.length) s += "." + Array.from(el.classList).slice(0, 3).join(".");
    const text = (el.textContent || "").trim().replace(/\s+/g, " ").slice(0, 60);
    return text ? `${s} "${text}"` : s;
  };
  const doc = document.documentElement;
  if (doc.scrollWidth > doc.clientWidth + 1)
    problems.push(`the page scrolls sideways: ${doc.scrollWidth} px of content in ${doc.clientWidth} px`);

  // The search page has a search box where other pages have their article.
  const article = document.querySelector("article.bd-article, .bd-search-container");
  if (!article) {
    problems.push("no article.bd-article: the theme's layout changed, update the check");
  } else {
    const box = article.getBoundingClientRect(), cs = getComputedStyle(article);
    const left = box.left + parseFloat(cs.paddingLeft), right = box.right - parseFloat(cs.paddingRight);
    const container = article.closest(".bd-article-container");
    if (container && container.scrollWidth > container.clientWidth + 1)
      problems.push(`the text column scrolls sideways: ${container.scrollWidth} px in ${container.clientWidth} px`);
    const scrollsOnItsOwn = (el) => getComputedStyle(el).overflowX !== "visible";
    const inScrollBox = (el) => {
      for (let p = el.parentElement; p && p !== article; p = p.parentElement)
        if (scrollsOnItsOwn(p)) return true;
      return false;
    };
    const reported = new Set();
    for (const el of article.querySelectorAll("*")) {       // document order: parents first
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;          // not rendered
      if (r.right <= right + 1 && r.left >= left - 1) continue;
      if (inScrollBox(el)) continue;
      reported.add(el);
      if (reported.has(el.parentElement)) continue;           // its overflowing parent is named
      problems.push(`${describe(el)} leaves the text column (${Math.round(r.left - left)} px left, ` +
                    `${Math.round(r.right - right)} px right of its edges)`);
    }
    if (desktop) {
      for (const pre of article.querySelectorAll("pre")) {
        if (pre.scrollWidth > pre.clientWidth + 1)
          problems.push(`a code example scrolls sideways (${pre.scrollWidth} px in ${pre.clientWidth} px): ` +
                        describe(pre).slice(0, 120));
      }
      for (const wrap of article.querySelectorAll(".pst-scrollable-table-container")) {
        if (wrap.scrollWidth <= wrap.clientWidth + 1) continue;
        const msg = `a table scrolls in its own box (${wrap.scrollWidth} px in ${wrap.clientWidth} px)`;
        if (wrap.querySelector("table.seedpool-key-layout")) problems.push("the key-layout table: " + msg);
        else notes.push(msg);
      }
    }
  }
  for (const img of document.images) {
    if (!img.complete || img.naturalWidth === 0) problems.push(`image not shown: ${img.getAttribute("src")}`);
  }
  if (desktop) {
    const header = document.querySelector(".bd-header");
    const links = header ? Array.from(header.querySelectorAll(".navbar-header-items .navbar-nav > li")) : [];
    // One line: every link overlaps every other vertically, and the header keeps about
    // the theme's height (a wrapped navbar grows it by a line or more).
    const boxes = links.filter((li) => li.offsetParent).map((li) => li.getBoundingClientRect());
    const oneLine = boxes.every((a) => boxes.every((b) => a.top < b.bottom && b.top < a.bottom));
    const height = header ? header.getBoundingClientRect().height : 0;
    const theme = parseFloat(getComputedStyle(doc).getPropertyValue("--pst-header-height")) *
                  parseFloat(getComputedStyle(doc).fontSize);
    if (!boxes.length || !oneLine || height > theme * 1.5)
      problems.push(`the navbar wraps: ${boxes.length} links, on one line: ${oneLine}, ` +
                    `${height} px tall (the theme's header: ${theme} px)`);
  }
  done({problems, notes, height: Math.max(doc.scrollHeight, document.body.scrollHeight),
        keyLayoutTables: document.querySelectorAll("table.seedpool-key-layout").length});
});
"""


def check_page(driver: Any, url: str, *, desktop: bool) -> dict:
    """Open ``url`` and run the checks: ``{"problems": [...], "notes": [...], "height": px}``.

    Console errors (SEVERE) logged while the page loaded are problems too; the log is read
    (and so emptied) before the page is opened.
    """
    driver.get_log("browser")
    driver.get(url)
    report = driver.execute_async_script(_CHECK_JS, desktop)
    for entry in driver.get_log("browser"):
        if entry["level"] == "SEVERE":
            report["problems"].append(f"console error: {entry['message'][:300]}")
    return report


def screenshot(driver: Any, path: Path, width: int, height: int) -> None:
    """The whole page (up to 6000 px tall) as a PNG, ``width`` CSS px wide."""
    set_width(driver, width, min(max(height, 600), 6000))
    time.sleep(0.05)  # one frame, for the relayout to paint
    driver.save_screenshot(str(path))


def _pages(site: Path) -> list[str]:
    skip = {"_static", "_sources", "_images", "_generated"}
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html") if not skip & set(p.parts))


# -- the site --------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def site(browser: Any, request: pytest.FixtureRequest) -> Path:
    # Asked for here, after the browser: without one the test skips before a build.
    built_site: SiteBuild = request.getfixturevalue("built_site")
    if built_site.returncode != 0:
        pytest.fail("the site did not build (tests/test_docs.py shows why):\n" + built_site.stderr[-3000:])
    return built_site.html


def test_every_page_fits_1280_px_and_a_phone_shows_its_images_and_logs_no_error(browser: Any, site: Path):
    started = time.perf_counter()
    pages = _pages(site)
    docs = REPO / "docs"
    sources = {p.relative_to(docs).with_suffix(".html").as_posix() for p in docs.rglob("*.md")
               if not {"_build", "_generated"} & set(p.relative_to(docs).parts)}
    assert sources and sources <= set(pages), f"pages not built: {sorted(sources - set(pages))}"

    SCREENS.mkdir(parents=True, exist_ok=True)
    for old in SCREENS.glob("*.png"):
        old.unlink()
    failures: dict[str, list[str]] = {}
    notes: dict[str, list[str]] = {}
    with serve(site) as (base, server_errors):
        for width in (DESKTOP, PHONE):
            set_width(browser, width)
            for page in pages:
                report = check_page(browser, base + page, desktop=width == DESKTOP)
                if page == "key-layout.html" and not report["keyLayoutTables"]:
                    report["problems"].append("no table.seedpool-key-layout: its fit is not checked")
                failures.update({f"{page} at {width} px": report["problems"]} if report["problems"] else {})
                notes.update({f"{page} at {width} px": report["notes"]} if report["notes"] else {})
                if page in SCREENSHOT_PAGES:
                    name = re.sub(r"[^a-z0-9]+", "-", page.removesuffix(".html").lower())
                    screenshot(browser, SCREENS / f"{name}-{width}.png", width, report["height"])
                    set_width(browser, width)
        if server_errors:
            failures["the server"] = [f"answered {e}" for e in server_errors]
    elapsed = time.perf_counter() - started
    print(f"\nbrowser check: {len(pages)} pages at {DESKTOP} and {PHONE} px in {elapsed:.1f} s; "
          f"screenshots in {SCREENS}")
    for where, items in notes.items():
        print(f"  {where}: " + "; ".join(items))
    assert not failures, "\n" + json.dumps(failures, indent=1)
    assert len(list(SCREENS.glob("*.png"))) == 2 * len(SCREENSHOT_PAGES)


# -- the check itself ------------------------------------------------------------------------
# Each fault, put into a copy of a real page, must be reported: the check above cannot
# pass because it looks at nothing. (expected problem, page, anchor, replacement)
_GUIDE = "guide/threads.html"
_FAULTS = [
    ("the page scrolls sideways", _GUIDE, "</head>", "<style>body { min-width: 1900px; }</style></head>"),
    ("leaves the text column", _GUIDE, '<section id="threads">',
     '<section id="threads"><div style="width: 1700px">a wide box</div>'),
    ("a code example scrolls sideways", _GUIDE, '<section id="threads">',
     '<section id="threads"><div class="highlight"><pre>' + "x = 1; " * 60 + "</pre></div>"),
    ("image not shown", _GUIDE, '<section id="threads">', '<section id="threads"><img src="missing.png" alt="gone">'),
    ("console error", _GUIDE, "</head>", "<script>console.error('a script failed')</script></head>"),
    ("the navbar wraps", _GUIDE, '<ul class="bd-navbar-elements navbar-nav">',
     '<ul class="bd-navbar-elements navbar-nav">'
     + '<li class="nav-item"><a class="nav-link" href="#">A rather long navbar entry</a></li>' * 8),
    ("the key-layout table: a table scrolls", "key-layout.html", "</head>",
     "<style>table.seedpool-key-layout { min-width: 1500px; }</style></head>"),
]


def test_the_check_reports_each_fault(browser: Any, site: Path, tmp_path: Path):
    pages = {page: (site / page).read_text() for page in {page for _, page, _, _ in _FAULTS}}
    for _, page, anchor, _ in _FAULTS:
        assert anchor in pages[page], f"{anchor!r} is no longer in {page}: pick another anchor"
    (tmp_path / "guide").mkdir()
    for shared in site.iterdir():  # what the pages load: _static/, searchindex.js...
        if shared.suffix != ".html" and shared.name != "guide":
            (tmp_path / shared.name).symlink_to(shared)
    # Faulty copies sit beside their page, so its relative links still resolve.
    copies = []
    for i, (expected, page, anchor, replacement) in enumerate(_FAULTS):
        copy = str(Path(page).with_name(f"fault{i}.html"))
        (tmp_path / copy).write_text(pages[page].replace(anchor, replacement, 1))
        copies.append((expected, copy))
    for page, text in pages.items():
        (tmp_path / page).write_text(text)
    set_width(browser, DESKTOP)
    with serve(tmp_path) as (base, server_errors):
        for page in pages:
            assert check_page(browser, base + page, desktop=True)["problems"] == [], page
        for expected, copy in copies:
            problems = check_page(browser, base + copy, desktop=True)["problems"]
            assert any(expected in p for p in problems), (expected, problems)
        assert any("missing.png" in e for e in server_errors)
