"""Files written safely and named safely: atomic writes, disk errors in one line, names that never collide, the output folder lock, sidecars of built artifacts, identity keys."""
