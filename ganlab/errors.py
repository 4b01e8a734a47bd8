"""Errors a user can cause, each carrying a message that says what is wrong and how to fix it.

Entry points print `ganlab: error: <message>` and exit with `exit_code`, without a traceback
(set HYDRA_FULL_ERROR=1 to see one).
"""


class GanlabError(Exception):
    """Base class: a problem the user can fix; `exit_code` 1 means a runtime failure."""

    exit_code = 1


class UsageError(GanlabError):
    """A bad config value, option or path given by the user (exit code 2)."""

    exit_code = 2


class DataNotFoundError(UsageError):
    """The data set is not on disk and cannot be downloaded."""
