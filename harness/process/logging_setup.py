"""Logging for the phase processes: everything to stderr, which the parent copies into run.log."""

from __future__ import annotations

import logging
import os
import sys


def configure_phase_logging(phase: str, verbose: bool) -> logging.Logger:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.DEBUG if verbose else logging.INFO,
        format=f"%(asctime)s phase-{phase}[{os.getpid()}] %(levelname)s %(name)s: %(message)s",
        force=True,
    )
    return logging.getLogger(f"jetson_benchmark.phase_{phase.lower()}")


def quiet_offline_environment() -> None:
    """No update checks, telemetry or downloads in the phase processes: Ultralytics offline, and the Hugging Face
    libraries (transformers, timm, huggingface_hub) offline, so a missing file fails at once instead of downloading."""
    os.environ.setdefault("YOLO_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("YOLO_VERBOSE", "False")
