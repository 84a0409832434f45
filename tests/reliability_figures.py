"""The reliability suite's figures: counted by the tests, printed at the end of the run.

A pytest plugin (registered from tests/conftest.py). Tests call :func:`add`; the terminal
summary prints every figure that was counted, so a CI log ends with the numbers the
acceptance criteria name. "must be 0" figures are also asserted where they are counted.
"""

from __future__ import annotations

import threading

import pytest

# Printed in this order; a figure nobody counted in this run is left out.
LABELS = {
    "faults_injected": "faults injected (fault cases)",
    "fault_responses": "faulty responses served",
    "crawls_completed": "crawls completed",
    "versions_lost": "versions lost (must be 0)",
    "false_versions": "false versions (must be 0)",
    "false_withdrawals": "false withdrawals (must be 0)",
    "kills_survived": "kill -9 runs survived",
    "kills_total": "kill -9 runs",
    "bad_inputs_tried": "bad inputs tried",
    "bad_inputs_one_line": "bad inputs answered with one clear line",
    "boundary_refusals": "boundary refusals recorded",
    "hostile_examples": "hostile/random inputs fed (property tests)",
    "regex_patterns": "text patterns probed with adversarial strings",
    "regex_cases": "adversarial pattern searches (none over budget)",
    "hostile_regex": "hostile: catastrophic-regex pages handled",
    "hostile_zip_bomb": "hostile: DOCX zip bombs bounded",
    "hostile_pdf": "hostile: PDF amplification bounded",
    "hostile_headers": "hostile: oversized/NUL headers recorded",
    "hostile_surrogate": "hostile: lone surrogates recorded",
    "hostile_private": "hostile: private-address forms refused",
    "hostile_starvation": "hostile: discovery-starvation crawls",
    "hostile_terminal": "hostile: terminal-escape outputs cleaned",
    "hostile_invisible": "hostile: invisible-character edits (no version)",
    "hostile_other": "hostile: other bounds (DOM, deadline, URL, retention...)",
    "bounds_hit": "bounds hit, each recorded as a fetch error",
    "peak_rss_mb": "peak crawl RSS over hostile crawls (MB, max)",
    "longest_page_ms": "longest hostile crawl (ms, max)",
    "service_kill_cases": "service kill -9 cases run",
    "channel_reports_due": "channel-deliveries due (report x channel)",
    "channel_reports_delivered": "channel-deliveries received at least once",
    "channel_reports_lost": "channel-deliveries lost (must be 0)",
    "events_unreported": "change events in no delivered report (must be 0)",
    "duplicates_by_key": "re-sent copies carrying the same key",
    "unkeyed_duplicates": "copies without a key or under a second key (must be 0)",
}
# Figures that are a maximum over the run, not a count.
MAXIMA = {"peak_rss_mb", "longest_page_ms"}

_counts: dict[str, int] = {}
_lock = threading.Lock()


def add(name: str, n: int = 1) -> None:
    """Count ``n`` more of figure ``name`` (zero is recorded too: a 0 must be printed);
    for a :data:`MAXIMA` figure, keep the largest ``n`` seen."""
    if name not in LABELS:
        raise KeyError(f"unknown reliability figure {name!r}")
    with _lock:
        if name in MAXIMA:
            _counts[name] = max(_counts.get(name, 0), n)
        else:
            _counts[name] = _counts.get(name, 0) + n


def figures() -> dict[str, int]:
    with _lock:
        return dict(_counts)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    counts = figures()
    if not counts:
        return
    terminalreporter.section("reliability figures")
    width = max(len(label) for label in LABELS.values())
    for name, label in LABELS.items():
        if name in counts:
            terminalreporter.write_line(f"{label:<{width}}  {counts[name]:>6}")
