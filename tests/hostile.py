"""Hostile queries: one list for both runtimes (the CLI's clean_query and the browser's
cleanQuery), used by tests/test_faults.py and tests/test_faults_browser.py.

Each entry is (name, query). Strings are built in Python; the browser gets them as
ASCII JSON (``as_json``) and parses them in the page, so lone surrogates arrive intact.
"""
from __future__ import annotations

import json

HOSTILE_QUERIES: list[tuple[str, str]] = [
    ("empty", ""),
    ("white space only", "  \u3000\t\n "),
    ("NUL inside a word", "加算\x00算定"),
    ("every C0 control", "".join(chr(c) for c in range(32)) + "協力医療機関"),
    ("DEL and C1 controls", "\x7f\x80\x9f加算"),
    ("ANSI escape", "\x1b[31m制御\x07"),
    ("tab and line breaks", "協力医療機関\t連携\r\n加算\x85算定"),
    ("zero-width and BOM", "協力\u200b医療機関\u200d\ufeff連携\u00ad加算"),
    ("bidi overrides", "\u202e加算\u202c\u2066特養\u2069"),
    ("lone high surrogate", "加算\ud800"),
    ("lone low surrogate", "\udc00加算"),
    ("invalid UTF-8 byte (as argv decodes it)", "加算\udcff"),
    ("private use", "\ue000加算\U000f0000\U0010fffd"),
    ("astral characters kept", "😀加算𠮷"),
    ("combining mark", "か\u3099算"),
    ("NFKC expands", "\ufdfa\u3300"),
    ("100,000 characters", "加算" * 50_000),
    ("1,000,000 characters", "あ" * 1_000_000),
    ("5,000 emoji (code points, not UTF-16 units)", "😀" * 5_000),
    ("controls before the cap", "\x00" * 5_000 + "加算"),
    ("spaces up to the cap", " " * 999 + "加算"),
    ("emoji at the cap", "あ" * 999 + "😀い"),
    ("only dropped characters", "\x00\u200b\ue000\ud800"),
    ("regex metacharacters", ".*+?()[]{}|\\^$"),
    ("HTML", "<script>alert(1)</script>\"><img src=x onerror=alert(1)>"),
    ("javascript: URL", "javascript:alert(document.cookie)"),
    ("query syntax", "title:加算 AND NOT 算定* OR (特養~2) \"unbalanced"),
    ("JS object keys", "__proto__ constructor toString hasOwnProperty"),
    ("huge reference numbers", "Vol.99999999999999999999 問99999999999999999999"),
    ("reference zero", "Vol.0 問0"),
    ("percent escapes", "%FF%00%"),
    ("SQL", "' OR 1=1 --"),
    ("Unicode line and paragraph separators", "\u2028加算\u2029\u00a0\u3000"),
    ("template syntax", "{{ 7*7 }} {% for x in y %} ${alert(1)}"),
]


def as_json() -> str:
    """The list as ASCII-only JSON (\\u escapes), safe through any transport."""
    return json.dumps([q for _, q in HOSTILE_QUERIES], ensure_ascii=True)
