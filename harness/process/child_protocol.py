"""Event lines a phase process prints on stdout for the parent (progress, run start/end, errors).

Data never travels this way (results and configs are files); these lines only let the parent show
progress and give a one-line error without parsing logs. Every other line is log text.
"""

from __future__ import annotations

import json
import sys
from typing import Optional

PREFIX = "@@jetson_benchmark "


def emit(event: str, **data) -> None:
    sys.stdout.write(PREFIX + json.dumps({"event": event, **data}, default=str) + "\n")
    sys.stdout.flush()


def parse(line: str) -> Optional[dict]:
    if not line.startswith(PREFIX):
        return None
    try:
        payload = json.loads(line[len(PREFIX):])
    except json.JSONDecodeError:
        return None
    return payload if isinstance(payload, dict) and "event" in payload else None
