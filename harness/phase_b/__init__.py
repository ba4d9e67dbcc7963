"""Phase B: a freshly launched process that measures runs and writes one result JSON per run."""
