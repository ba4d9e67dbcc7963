"""--help lists the values of every choice flag and names .model.json."""

import subprocess
import sys

from conftest import CLI
from harness.settings.options import FLAG_TABLE


def test_help_lists_every_choice_flags_values_and_names_the_model_file():
    text = " ".join(subprocess.run([sys.executable, str(CLI), "--help"], capture_output=True, text=True,
                                   timeout=60).stdout.split())
    for name, (kind, _) in FLAG_TABLE.items():
        if isinstance(kind, tuple):
            assert f"[values: {', '.join(kind)}]" in text, name
    for words in ("crop[:F]", "pad[:V]", "unit=0-1", "rgb, bgr, gray", "<model>.model.json", "boxes_scores_labels"):
        assert words in text, words
