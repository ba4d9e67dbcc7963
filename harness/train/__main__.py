import sys

from harness.train.train_child import main

sys.exit(main())
