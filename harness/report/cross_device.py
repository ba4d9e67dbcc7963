"""The fleet's table: every configuration (model x backend x mode x precision x imgsz x batch) with each device's
figures side by side, from the summary rows of a fleet run (rows of one host carry no device and are left out)."""

from __future__ import annotations

CONFIG_KEYS = ("model", "backend", "variant", "precision", "imgsz", "batch")
FIGURES = (("latency_ms_p50", "p50 ms"), ("throughput_img_per_s", "img/s"), ("peak_rss_mb", "peak RSS MiB"),
           ("peak_process_gpu_mb", "peak GPU MiB"), ("avg_power_w", "W"), ("img_per_s_per_w", "img/s/W"))
CROSS_DEVICE_NOTE = ("Each device's figures for the same configuration, from its own result file: latency is host "
                     "end-to-end per batch, memory the run's own peak (Ray's processes are outside it), power the "
                     "device's telemetry; empty where the device could not measure the figure or the run was not ok.")


def devices_of(rows: list) -> list:
    return sorted({r["device_profile"] for r in rows if r.get("device_profile")})


def cross_device_rows(rows: list) -> list:
    """One row per configuration measured on at least two devices, keyed ``<device>|<figure>``."""
    table: dict = {}
    for row in rows:
        device = row.get("device_profile")
        if not device:
            continue
        key = tuple(row.get(k) for k in CONFIG_KEYS)
        entry = table.setdefault(key, dict(zip(CONFIG_KEYS, key)))
        entry.setdefault("_devices", set()).add(device)
        if row.get("status") == "ok":
            for figure, _ in FIGURES:
                entry[f"{device}|{figure}"] = row.get(figure)
    return [{k: v for k, v in entry.items() if k != "_devices"} for entry in table.values()
            if len(entry["_devices"]) >= 2]


def cross_device_columns(devices: list) -> tuple:
    config = tuple((k, "mode" if k == "variant" else k) for k in CONFIG_KEYS)
    return config + tuple((f"{d}|{figure}", f"{d} {label}") for figure, label in FIGURES for d in devices)


def cross_device_section(rows: list) -> dict:
    """{"devices", "rows", "columns"} for the report; empty rows when fewer than two devices measured."""
    devices = devices_of(rows)
    return {"devices": devices, "rows": cross_device_rows(rows) if len(devices) >= 2 else [],
            "columns": [list(c) for c in cross_device_columns(devices)]}
