"""The training phase: one child process per model x approach trains with Ultralytics' own trainer (plan, child,
report, and the parent's loop are one file each)."""
