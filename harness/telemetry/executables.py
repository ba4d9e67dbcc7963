"""Finding a board tool (tegrastats, nvpmodel, jetson_clocks): on PATH, else where JetPack installs it."""

from __future__ import annotations

import os
import shutil
from typing import Optional


def is_executable(path: str) -> bool:
    return os.path.isfile(path) and os.access(path, os.X_OK)


def find_executable(name: str, fallbacks: tuple = ()) -> Optional[str]:
    found = shutil.which(name)
    if found:
        return found
    return next((path for path in fallbacks if is_executable(path)), None)
