"""The records the phases hand each other and the user keeps: the planned run, results, run identities, the setup config, the measurement request."""
