"""Take the README screenshots of the built site with headless Debian chromium.

Example:
  .venv/bin/python build.py && .venv/bin/python scripts/screenshot.py
  .venv/bin/python scripts/screenshot.py --site build/site --out docs

Writes docs/screenshot-home.png and docs/screenshot-search.png (desktop), and
docs/screenshot-phone-search.png and docs/screenshot-phone-rule.png (a 375 px wide phone).
Needs /usr/bin/chromium (apt-get install chromium fonts-noto-cjk) and the playwright Python
package. The rule page is shown as of --on (default 2025-04-01), so the picture does not
change with the day it is taken.
"""
from __future__ import annotations

import argparse
from pathlib import Path
from urllib.parse import quote

ROOT = Path(__file__).resolve().parents[1]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--site", type=Path, default=ROOT / "build" / "site")
    ap.add_argument("--out", type=Path, default=ROOT / "docs")
    ap.add_argument("--query", default="ショートステイ 算定")
    ap.add_argument("--rule", default="kyoryoku-iryokikan-renkei-kasan")
    ap.add_argument("--on", default="2025-04-01", help="date the rule page is shown for")
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    a = ap.parse_args()
    index = (a.site / "index.html").resolve()
    if not index.exists():
        ap.error(f"{index} not found; build the site first: python build.py")
    from playwright.sync_api import sync_playwright

    a.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=a.chromium, args=ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 760}, device_scale_factor=1)
        page.goto(index.as_uri())
        page.wait_for_load_state("load")
        page.screenshot(path=str(a.out / "screenshot-home.png"))
        page.goto(index.as_uri() + "?q=" + quote(a.query))
        page.wait_for_selector(".hit")
        page.screenshot(path=str(a.out / "screenshot-search.png"))
        phone = browser.new_page(viewport={"width": 375, "height": 740}, device_scale_factor=1, is_mobile=True,
                                 has_touch=True)
        phone.goto(index.as_uri() + "?q=" + quote("Vol.1 問127"))
        phone.wait_for_selector(".hit")
        phone.screenshot(path=str(a.out / "screenshot-phone-search.png"))
        rule = (a.site / "rules" / f"{a.rule}.html").resolve()
        phone.goto(rule.as_uri() + "?on=" + a.on)
        phone.wait_for_load_state("load")
        phone.evaluate("document.querySelector('.asof').scrollIntoView()")
        phone.screenshot(path=str(a.out / "screenshot-phone-rule.png"))
        browser.close()
    print(f"wrote {a.out}/screenshot-home.png, screenshot-search.png, screenshot-phone-search.png, "
          "screenshot-phone-rule.png")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
