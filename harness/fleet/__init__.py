"""The fleet: the run matrix spread over the nodes of a Ray cluster, one device profile per node, with the same
per-run isolation as on one host (docs/fleet.md). Nothing here is imported unless ``--cluster`` is given."""
