"""--config FILE.yaml and the resolved config.yaml: sections, command-line precedence, refusals, a round trip, and
--help in sections with every flag in exactly one."""

import argparse

import pytest

from harness.cli import build_parser
from harness.settings.config_file import config_values, fill_from_config, resolved_config, write_resolved_config
from harness.errors import UserError
from harness.settings.flag_sections import FLAG_SECTIONS
from harness.settings.options import FLAG_TABLE, resolve


def _resolve(argv: list, config=None):
    namespace = build_parser().parse_args(argv)
    if config:
        fill_from_config(namespace, str(config))
    return resolve(namespace)


def test_every_flag_is_in_exactly_one_section():
    listed = [name for names in FLAG_SECTIONS.values() for name in names]
    assert sorted(listed) == sorted(FLAG_TABLE) and len(listed) == len(set(listed))


def test_help_shows_the_sections():
    text = build_parser().format_help()
    for section in ("matrix:", "models:", "validity:", "fleet:", "output and timeouts:"):
        assert section in text
    assert text.index("\n  --batch") > text.index("\nmatrix:") > text.index("\nmodels:")


def test_a_config_file_with_sections_and_flags_on_the_command_line_winning(tmp_path):
    config = tmp_path / "m.yaml"
    config.write_text("matrix:\n  batch: [1, 8]\n  backend: torch,onnxruntime\n  imgsz: [320, 480x640]\n"
                      "models: {models: [yolo11n]}\nwarmup: 3\ne2e: true\nforce: false\n")
    opts = _resolve(["--batch", "2"], config)
    assert opts.batch == [2] and opts.backend == ["torch", "onnxruntime"] and opts.imgsz == [320, "480x640"]
    assert opts.models == ["yolo11n"] and opts.warmup == 3 and opts.e2e is True and opts.force is False
    assert {"batch", "backend", "imgsz", "models", "warmup", "e2e"} <= set(opts.explicit)


@pytest.mark.parametrize("text, words", [("bacth: 2\n", "'bacth' is not a flag"), ("- 1\n- 2\n", "a mapping"),
                                          ("a: [\n", "not YAML"), ("batch: zero\n", "--batch 'zero'")])
def test_a_bad_config_is_one_line(tmp_path, text, words):
    config = tmp_path / "bad.yaml"
    config.write_text(text)
    with pytest.raises(UserError, match=words.replace("[", r"\[").replace("(", r"\(")):
        _resolve([], config)
    with pytest.raises(UserError, match="cannot read"):
        config_values(str(tmp_path / "missing.yaml"))


def test_the_resolved_config_measures_the_same_matrix_again(tmp_path):
    opts = _resolve(["--models", "yolo11n,yolov8n", "--batch", "1,4", "--imgsz", "320,48x320", "--dla_core", "gpu,0",
                     "--threads", "1,2", "--e2e", "--force", "--precision", "fp32,fp16", "--out_dir", str(tmp_path)])
    written = write_resolved_config(tmp_path, opts)
    config = resolved_config(opts)
    assert "force" not in str(config) and config["matrix"]["batch"] == [1, 4] and "imgsz" in config["matrix"]
    again = _resolve([], written)
    for name in FLAG_TABLE:
        if name not in ("force", "config"):
            assert getattr(again, name) == getattr(opts, name), name
    assert isinstance(again, type(opts)) and not isinstance(again, argparse.Namespace)
