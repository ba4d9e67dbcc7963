"""The README, docs/, bench/ and the code speak of the product: no issue numbers, work sessions or borrowed machines
(evidence says which hardware, which versions, which date and which command instead)."""

import re

from conftest import REPO

FORBIDDEN = re.compile(r"\bissues? #?\d+|\b(this|earlier|first|latest|later|previous|same) sessions?\b|"
                       r"\bsessions? \d+\b|\blent\b|\bstop \d+\b|\bissues? [\"\u201c]", re.IGNORECASE)


def _texts():
    folders = ("docs", "bench", "harness", "runners", "weights")
    files = [REPO / "README.md"] + [p for folder in folders for p in (REPO / folder).rglob("*")
                                    if p.suffix in (".md", ".py", ".sh") and p.is_file()]
    return {p.relative_to(REPO).as_posix(): p.read_text(encoding="utf-8") for p in files}


def test_no_issue_numbers_sessions_or_lent_machines():
    found = [f"{name}:{text.count(chr(10), 0, m.start()) + 1}: {m.group(0)!r}"
             for name, text in _texts().items() for m in FORBIDDEN.finditer(text)]
    assert not found, "\n".join(found)
