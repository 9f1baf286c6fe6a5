"""The refusals of the petition services: `WorkflowError` (an action the rules do not allow) and
`AttachmentError` (a file refused). The lowest module of the services, so that every one of them can raise
them."""


class WorkflowError(Exception):
    """An action the rules do not allow; the message is for the clerk, in the active language (plain Chinese
    by default)."""


class AttachmentError(WorkflowError):
    """A file refused by type or size; `file_name` is the name the user chose, the message says why."""

    def __init__(self, message: str, file_name: str) -> None:
        super().__init__(message)
        self.file_name = file_name
