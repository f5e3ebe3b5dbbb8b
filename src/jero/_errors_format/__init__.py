"""The app's error answers: the `ErrorFormat` hook, the `InputStatuses` declaration, and
their compiled form, the app's `ProblemSender`."""

from .compiled import AppErrors, compile_errors
from .format import ErrorFormat
from .statuses import InputStatuses

__all__ = ["AppErrors", "ErrorFormat", "InputStatuses", "compile_errors"]
