"""The parent process's parts (the command the user types): it never imports torch, ultralytics or tensorrt."""
