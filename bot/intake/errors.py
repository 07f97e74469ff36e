"""The one error every step of adding an article raises when it refuses."""


from retrieval.errors import CasebotError


class IntakeError(CasebotError):
    """The source cannot be added; str() is one sentence for the user, with no traceback."""
