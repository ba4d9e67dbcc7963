"""The README's commands, flags and the metric definitions must stay true to the code."""

import re

from conftest import REPO
from harness.measure.metric_catalog import BY_NAME, SECTIONS
from harness.settings.options import FLAG_TABLE


def _readme_commands():
    text = (REPO / "README.md").read_text()
    block = re.search(r"```bash\n(.*?)```", text, re.S).group(1)
    return [line.split("#")[0].strip() for line in block.strip().splitlines()]


def test_readme_opens_with_exactly_two_commands():
    text = (REPO / "README.md").read_text()
    assert text.index("```bash") < 40  # right under the title
    commands = _readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("python3 jetson_benchmark.py") and "pip install -e ." in commands[0]
    assert commands[1].endswith("python3 -m pytest")


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text()
    assert _readme_commands()[1] in ci


def test_every_flag_is_documented():
    """docs/flags.md is written from the flag table: regenerate it with python3 -m harness.doc_pages.flag_docs > docs/flags.md."""
    from harness.doc_pages.flag_docs import flags_markdown

    assert (REPO / "docs" / "flags.md").read_text() == flags_markdown()
    assert all(f"`--{f}`" in flags_markdown() for f in FLAG_TABLE)


def test_metric_reference_is_written_from_the_catalog():
    """docs/metric_reference.md is written from the metric catalog: regenerate it with
    python3 -m harness.doc_pages.metric_docs > docs/metric_reference.md."""
    from harness.doc_pages.metric_docs import metric_reference_markdown

    assert (REPO / "docs" / "metric_reference.md").read_text() == metric_reference_markdown()


def test_every_metric_is_defined_in_docs():
    """Every figure of the catalog (a result's metrics and the summary's int8 columns) has a row in the reference,
    under its section, and is defined once."""
    doc = (REPO / "docs" / "metric_reference.md").read_text()
    assert len(BY_NAME) == sum(len(figures) for figures in SECTIONS.values())
    for section, figures in SECTIONS.items():
        part = doc.split(f"\n## {section}\n", 1)[1].split("\n## ", 1)[0]
        missing = [m.name for m in figures if f"| `{m.name}` |" not in part]
        assert not missing, (section, missing)


def test_links_to_the_metric_reference_name_its_sections():
    from harness.doc_pages.metric_docs import anchor

    anchors = {anchor(section) for section in SECTIONS}
    pages = [REPO / "README.md", *(REPO / "docs").rglob("*.md")]
    links = {(page.name, target) for page in pages
             for target in re.findall(r"metric_reference\.md#([\w-]+)", page.read_text())}
    assert links, "docs/metrics.md points each figure's section at the reference"
    assert not [link for link in links if link[1] not in anchors], anchors
