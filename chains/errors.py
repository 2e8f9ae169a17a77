"""Errors a user can fix; each message names the problem and the fix."""


class SynthaugError(ValueError):
    """Base class: the command line prints the message and exits with status 2.

    `option` names the keyword argument that fixes the problem, if one does; the command line shows
    its flag beside the message, so messages here speak of arguments, never of flags.
    """

    def __init__(self, message: str, option: str | None = None) -> None:
        super().__init__(message)
        self.option = option


class TaskError(SynthaugError):
    """A task template is missing, malformed or refused."""


class ModelUnavailableError(SynthaugError):
    """A model cannot be loaded from local files."""
