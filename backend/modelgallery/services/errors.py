"""What the services refuse, and why, in words a person understands. The API turns each
kind into its HTTP status; the services know nothing of HTTP."""

from __future__ import annotations


class ServiceError(Exception):
    def __init__(self, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after_s = retry_after_s


class NotAuthenticated(ServiceError):
    """Not logged in, or the session has ended."""


class Forbidden(ServiceError):
    """Logged in, but not allowed."""


class NotFound(ServiceError):
    pass


class Conflict(ServiceError):
    """Not possible in the current state."""


class Invalid(ServiceError):
    """A value in the request is not acceptable."""


class UnsupportedMedia(ServiceError):
    """The file is not of a kind the model takes, or is damaged."""


class Gone(ServiceError):
    """It existed, but is gone for good (a prediction's expired files)."""


class TooManyRequests(ServiceError):
    pass


class Unavailable(ServiceError):
    """The model cannot take the job now (unavailable, or its queue is full)."""


NO_FILE_STORAGE = "The server cannot reach its file storage right now; please try again later."


OUT_OF_STORAGE = (
    "The server is out of storage space; please try again later or contact the administrator."
)


class InsufficientStorage(ServiceError):
    """The data folder has too little free space to store what was sent."""

    def __init__(self, message: str = OUT_OF_STORAGE) -> None:
        super().__init__(message)
