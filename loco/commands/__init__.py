"""One module per CLI command; see ``loco.cli``."""
