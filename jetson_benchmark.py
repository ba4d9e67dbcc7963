#!/usr/bin/env python3
"""jetson_benchmark: ``python jetson_benchmark.py --help``. Same as the ``jetson-benchmark`` command."""

import sys

from harness.cli import main

if __name__ == "__main__":
    sys.exit(main())
