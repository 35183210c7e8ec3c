"""The suite's own tests (tests/README.md)."""

# The seed of every quick certify in the tests: the self-verification proves every fault at it, and
# the test session's cache of generated cases then draws each API's cases once for all of them.
SEED = 3
