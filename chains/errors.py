"""Errors a user can fix; each message names the problem and the fix."""


class SynthaugError(ValueError):
    """Base class: the command line prints the message and exits with status 2."""


class TaskError(SynthaugError):
    """A task template is missing, malformed or refused."""


class ModelUnavailableError(SynthaugError):
    """A model cannot be loaded from local files."""
