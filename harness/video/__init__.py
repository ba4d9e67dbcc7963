"""The video workload: SAM 2 / SAM 2.1 / EdgeTAM video object segmentation through transformers, its parts kept
together (docs/architecture.md, "The video workload")."""
