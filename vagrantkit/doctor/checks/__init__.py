"""The doctor's checks, one module per concern; importing a module registers its checks."""
