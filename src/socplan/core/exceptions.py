class ApplicationError(Exception):
    """A business rule was violated. The message is shown to the user as it is (translated)."""

    def __init__(self, message, *, extra: dict | None = None):
        super().__init__(message)
        self.message = message
        self.extra = extra or {}
