"""The one error type every `mpk` command raises for a failure the user should read."""


class MpkError(Exception):
    """A failure explained in one line; the CLI prints it and exits non-zero."""

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code
