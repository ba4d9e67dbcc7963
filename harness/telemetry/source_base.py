"""What every telemetry source looks like to the recorder.

A source has a ``name``, ``available`` (whether it works here) and ``reason`` (why not, when it does not).
``start()`` opens what it needs and may find out that it cannot work (then ``available`` turns False with
the reason); ``sample()`` returns only the figures it has, each with its unit in its key; ``stop()``
releases everything. None of the three raises: a source that cannot work says so through ``reason``.

A source that buffers readings made elsewhere (a tegrastats line, a jtop update) adds
``reading_t_monotonic_s``: the ``time.monotonic()`` at which that reading arrived, so energy is
integrated at the time power was measured and a reading polled twice counts once.
"""

from __future__ import annotations

from typing import Optional


class TelemetrySource:
    name = "source"

    def __init__(self) -> None:
        self.available = True
        self.reason: Optional[str] = None

    def mark_unavailable(self, reason: str) -> None:
        self.available = False
        self.reason = reason

    def start(self) -> None:
        """Open what the source needs; idempotent."""

    def sample(self) -> dict:
        return {}

    def stop(self) -> None:
        """Release everything the source holds; idempotent."""

    def __repr__(self) -> str:
        state = "available" if self.available else f"unavailable: {self.reason}"
        return f"<{type(self).__name__} {self.name} {state}>"
