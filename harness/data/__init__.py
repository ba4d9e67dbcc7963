"""Input data: source specs, scanning, fingerprints, letterboxing and the on-disk frame store."""
