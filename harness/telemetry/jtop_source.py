"""A Jetson through jetson-stats (jtop), when its service (``jtop.service``) answers.

One jtop client is opened per process and kept open until the process exits (repeated opens leaked
descriptors in jetson-stats), so several runs in one Phase B process share it; a failed open is
remembered too, so later runs do not wait for a dead service again. jtop pushes a new reading every
interval; an observer stores it with the ``time.monotonic()`` of its arrival.

Mapped from jtop's ``stats`` (jetson-stats 4.x: ``CPU<n>``, ``GPU``, ``EMC``, ``Temp <zone>``,
``Power <rail>``, ``Power TOT`` in mW, ``jetson_clocks`` ``ON``/``OFF``, ``nvp model``) and ``memory``
(``RAM``/``SWAP`` ``used``/``tot``/``shared`` in kB; ``RAM.shared`` is NvMapMemUsed, GPU memory on Orin):
see :func:`map_jtop_stats` for the field names.
"""

from __future__ import annotations

import atexit
import re
import threading
import time
from typing import Optional

from .source_base import TelemetrySource

ABSENT_TEMP_C = -256.0
_CPU_KEY = re.compile(r"^CPU(\d+)$")


def _number(value) -> Optional[float]:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def map_jtop_stats(stats: dict, memory: Optional[dict] = None) -> dict:
    """Flat figures with units in their names from jtop's ``stats`` and ``memory``; unknown keys ignored."""
    out: dict = {}
    stats = stats or {}
    cores = sorted((int(m.group(1)), v) for k, v in stats.items() for m in [_CPU_KEY.match(str(k))] if m)
    if cores:
        utils = [_number(v) for _, v in cores]
        out["cpu_core_util_pct"] = utils
        online = [u for u in utils if u is not None]
        out["cpu_cores_online_n"] = len(online)
        if online:
            out["cpu_util_pct"] = sum(online) / len(online)
    for key, field in (("GPU", "gpu_util_pct"), ("EMC", "emc_util_pct")):
        value = _number(stats.get(key))
        if value is not None:
            out[field] = value
    for key, value in stats.items():
        key = str(key)
        number = _number(value)
        if key.startswith("Temp ") and number is not None and number != ABSENT_TEMP_C:
            zone = re.sub(r"\W+", "_", key[5:].strip()).lower()
            out[f"temp_{zone}_c"] = number
        elif key == "Power TOT" and number is not None:
            out["power_total_mw"] = number
            out["power_w"] = number / 1000.0
        elif key.startswith("Power ") and number is not None:
            rail = re.sub(r"\W+", "_", key[6:].strip())
            out[f"power_{rail}_mw"] = number
    if "jetson_clocks" in stats:
        out["jetson_clocks_on"] = str(stats["jetson_clocks"]).upper() == "ON"
    if stats.get("nvp model") is not None:
        out["power_mode"] = str(stats["nvp model"])
    for name, prefix in (("RAM", "ram"), ("SWAP", "swap")):
        block = (memory or {}).get(name) or {}
        used, total = _number(block.get("used")), _number(block.get("tot"))
        if used is not None:
            out[f"{prefix}_used_mb"] = used / 1024.0
        if total is not None:
            out[f"{prefix}_total_mb"] = total / 1024.0
        if name == "RAM" and _number(block.get("shared")) is not None:
            out["ram_shared_mb"] = block["shared"] / 1024.0
    return out


class _SharedJtop:
    """The process's one jtop client: opened on first use, closed at exit."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.client = None
        self.failure: Optional[str] = None
        self.interval_s: Optional[float] = None

    def acquire(self, interval_s: float, start_timeout_s: float):
        with self._lock:
            if self.client is not None or self.failure is not None:
                return self.client, self.failure
            self.client, self.failure = self._open(interval_s, start_timeout_s)
            if self.client is not None:
                self.interval_s = interval_s
                atexit.register(self.close)
            return self.client, self.failure

    @staticmethod
    def _open(interval_s: float, start_timeout_s: float):
        try:
            import jtop as jtop_module
            from jtop import jtop as jtop_client
        except ImportError:
            return None, "jetson-stats (jtop) is not installed (pip install 'jetson-benchmark[jetson]')"
        except Exception as exc:  # noqa: BLE001 - a broken install must not stop the run
            return None, f"jetson-stats (jtop) cannot be imported: {type(exc).__name__}: {exc}"
        jtop_error = getattr(jtop_module, "JtopException", None)
        outcome: dict = {}

        def open_client() -> None:
            try:
                client = jtop_client(interval=interval_s)
                client.start()
                outcome["client"] = client
            except BaseException as exc:  # noqa: BLE001 - reported as the reason below
                outcome["error"] = exc

        opener = threading.Thread(target=open_client, name="jtop-open", daemon=True)
        opener.start()
        opener.join(start_timeout_s)
        if opener.is_alive():
            return None, f"the jtop service did not answer within {start_timeout_s:g} s"
        error = outcome.get("error")
        if error is not None:
            message = " ".join(str(error).split())
            if jtop_error is not None and isinstance(error, jtop_error):
                return None, f"the jtop service does not answer: {message}"
            return None, f"jtop could not start: {type(error).__name__}: {message}"
        return outcome["client"], None

    def close(self) -> None:
        with self._lock:
            client, self.client = self.client, None
        if client is not None:
            try:
                client.close()
            except Exception:  # noqa: BLE001
                pass

    def reset(self) -> None:
        """Forget the client and any remembered failure (tests; a new process starts clean anyway)."""
        self.close()
        with self._lock:
            self.failure = None
            self.interval_s = None


SHARED_JTOP = _SharedJtop()


class JtopSource(TelemetrySource):
    name = "jtop"

    def __init__(self, interval_s: float = 0.5, start_timeout_s: float = 10.0, shared: Optional[_SharedJtop] = None):
        super().__init__()
        self.interval_s = interval_s
        self.start_timeout_s = start_timeout_s
        self._shared = shared if shared is not None else SHARED_JTOP
        self._client = None
        self._lock = threading.Lock()
        self._latest: dict = {}
        self._observing = False

    def start(self) -> None:
        if not self.available or self._client is not None:
            return
        client, failure = self._shared.acquire(self.interval_s, self.start_timeout_s)
        if client is None:
            self.mark_unavailable(failure or "jtop is unavailable")
            return
        self._client = client
        try:
            client.attach(self._on_update)
            self._observing = True
        except Exception:  # noqa: BLE001 - no observer API: sample() polls instead
            self._observing = False
        self._on_update(client)

    def _on_update(self, client) -> None:
        try:
            mapped = map_jtop_stats(client.stats, getattr(client, "memory", None))
        except Exception:  # noqa: BLE001 - runs in jtop's thread: never let it raise there
            return
        mapped["reading_t_monotonic_s"] = time.monotonic()
        with self._lock:
            self._latest = mapped

    def sample(self) -> dict:
        if not self.available or self._client is None:
            return {}
        try:
            alive = self._client.ok(spin=True)  # surfaces an error jtop's own thread stored
        except Exception as exc:  # noqa: BLE001
            self.mark_unavailable(f"jtop stopped answering: {type(exc).__name__}: {exc}")
            return {}
        if alive is False:
            self.mark_unavailable("jtop stopped answering (its connection to the service closed)")
            return {}
        if not self._observing:
            self._on_update(self._client)
        with self._lock:
            return dict(self._latest)

    def describe(self) -> dict:
        interval = self._shared.interval_s
        return {"interval_s": interval, "power_w": "jtop Power TOT (the whole-board rail, else the sum of rails)"}

    def stop(self) -> None:
        client, self._client = self._client, None
        if client is not None and self._observing:
            try:
                client.detach(self._on_update)
            except Exception:  # noqa: BLE001
                pass
        self._observing = False
