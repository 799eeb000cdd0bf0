"""Errors that services raise and every interface turns into a clear answer."""


class ConflictError(Exception):
    """Someone else changed the record since it was read."""
