"""The one error every command reports the same way."""


class CommandError(Exception):
    """A mistake in the command line (the app target, an option, a missing extra).

    The message is one line; `jero` prints it on stderr and exits with status 2.
    """
