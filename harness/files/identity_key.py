"""A run identity's key: the first 16 hex digits of the SHA-256 of the identity record as sorted JSON. A stored
result carries it (``run_key``); a rerun measures again unless its planned identity has the same key
(harness/records/run_identity.py says what the identity holds)."""

from __future__ import annotations

import hashlib
import json


def key_of(identity: dict) -> str:
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()[:16]
