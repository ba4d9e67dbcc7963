"""docs/flags.md, written from the flag table itself: ``python3 -m harness.doc_pages.flag_docs > docs/flags.md``.

One section per group of ``--help`` (harness.settings.flag_sections), one row per flag with its values and its help text, so
the page cannot drift from the code (tests/test_docs_in_step.py compares it with this output)."""

from __future__ import annotations

import sys

from harness.doc_pages.doc_tables import cell, table


def _kind_text(kind) -> str:
    if kind == "flag":
        return "switch"
    if isinstance(kind, tuple):
        return " \\| ".join(f"`{value}`" for value in kind)
    return {"str": "text", "int": "integer", "float": "number", "ints": "integers, comma-separated",
            "floats": "numbers, comma-separated", "strs": "names, comma-separated", "sizes": "sizes: S or HxW, comma-separated",
            "dla_cores": "gpu or core numbers, comma-separated"}.get(kind, str(kind))


def flags_markdown() -> str:
    from harness.settings.flag_sections import FLAG_SECTIONS
    from harness.settings.options import FLAG_TABLE

    lines = ["# Flags", "",
             "Written from the code by `python3 -m harness.doc_pages.flag_docs > docs/flags.md` (a test fails when this page and "
             "the code differ); `python3 jetson_benchmark.py --help` prints the same. List-valued flags take "
             "comma-separated values and the run matrix is their cross product; a `--config FILE.yaml` holds any of "
             "them (names without dashes, sections allowed).", ""]
    for section, names in FLAG_SECTIONS.items():
        rows = [(f"`--{name}`", _kind_text(FLAG_TABLE[name][0]), cell(FLAG_TABLE[name][1])) for name in names]
        lines += [f"## {section[0].upper()}{section[1:]}", "", *table(("flag", "takes", "meaning"), rows), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.stdout.write(flags_markdown())
