"""What the user asked for: the options and their sections, config files, the run matrix and its precision vocabulary."""
