"""The one error every step of adding an article raises when it refuses."""


class IntakeError(Exception):
    """The source cannot be added; str() is one sentence for the user, with no traceback."""
