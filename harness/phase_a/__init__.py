"""Phase A: validate inputs, prepare models and data, write the setup config, exit."""
