"""Facts about the machine: device profiles, DLA cores, the software and hardware environment."""
