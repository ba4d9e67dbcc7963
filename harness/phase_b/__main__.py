import sys

from harness.phase_b.inference_main import main

sys.exit(main())
