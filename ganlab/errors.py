"""Errors a user can cause, each carrying a message that says what is wrong and how to fix it.

Entry points print `ganlab: error: <message>` and exit with `exit_code`, without a traceback
(set HYDRA_FULL_ERROR=1 to see one): `ganlab.run.cli` does that, in one place.
"""

from collections.abc import Iterator


class GanlabError(Exception):
    """Base class: a problem the user can fix; `exit_code` 1 means a runtime failure."""

    exit_code = 1


class UsageError(GanlabError):
    """A bad config value, option or path given by the user (exit code 2)."""

    exit_code = 2


class DataNotFoundError(UsageError):
    """The data set is not on disk and cannot be downloaded."""


class CorruptDataError(UsageError):
    """A data file that cannot be parsed (truncated, wrong format): named, with what is wrong."""


class UntrustedFileError(UsageError):
    """A file names code ganlab would have to import or call to read it: refused unread."""


class DivergenceError(GanlabError):
    """Training produced non-finite losses or weights (exit code 1, a runtime failure)."""


def one_line(message: object) -> str:
    return " ".join(str(message).split())


def cause_chain(error: BaseException | None) -> Iterator[BaseException]:
    """The error, then what it was raised from, and so on (Hydra's `instantiate` wraps what
    constructors raise; Lightning wraps what callbacks raise)."""
    while error is not None:
        yield error
        error = error.__cause__


def user_error_of(error: BaseException | None) -> GanlabError | None:
    """The GanlabError behind an exception, if one is in its cause chain."""
    return next((e for e in cause_chain(error) if isinstance(e, GanlabError)), None)
