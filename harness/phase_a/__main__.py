import sys

from harness.phase_a.setup_main import main

sys.exit(main())
