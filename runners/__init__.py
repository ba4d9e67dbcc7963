"""Model specifics: how each backend loads an artifact, takes a batch and runs it.

A runner knows nothing about timing, memory or processes; :mod:`harness.phase_b` drives it.
"""
