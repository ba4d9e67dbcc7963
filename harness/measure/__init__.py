"""Measurement: timers, statistics and memory figures. Nothing here knows about models or processes."""
