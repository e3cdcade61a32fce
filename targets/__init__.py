"""Output targets: JSON configs, partner docs and test fixtures built from a checked program."""
