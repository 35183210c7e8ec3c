"""Errors a user can cause. The CLI prints their message as one sentence and exits 2; never a traceback."""


class UsageError(Exception):
    """A bad option, config file, target or contract: the message says what and how to fix it."""

    exit_code = 2
