"""Phase A's probes: short-lived child processes that find out what fits before Phase B measures."""
