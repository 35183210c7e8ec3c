"""Sub-commands of the orderproof CLI, one module each."""
