"""Exceptions and warnings raised by personatwin_sklearn.

Every error is a subclass of :class:`ValueError` (so ``except ValueError`` keeps
working) and its message says what was expected, what was given, and how to fix it.
"""

__all__ = [
    "DataQualityWarning",
    "PersonaTwinError",
    "SchemaError",
    "MissingColumnError",
    "DuplicateIdError",
    "DanglingEdgeError",
    "SelfLoopError",
    "InvalidValueError",
    "UnknownConnectionTypeError",
    "InfeasibleKError",
    "UnknownTemplateError",
    "DuplicateColumnError",
    "UndeclaredColumnError",
    "DirectIdentifierError",
    "DependentColumnError",
    "ReleaseError",
    "PersonaTwinWarning",
    "PrivacyWarning",
]


class PersonaTwinError(ValueError):
    """Base class of every error raised by personatwin_sklearn."""


class SchemaError(PersonaTwinError):
    """A table does not have the expected shape, columns or dtypes."""


class MissingColumnError(SchemaError):
    """A required column is absent."""


class DuplicateIdError(SchemaError):
    """Two people share the same identifier."""


class DanglingEdgeError(SchemaError):
    """A connection refers to a person who is not in the people table."""


class SelfLoopError(SchemaError):
    """A connection links a person to themselves."""


class InvalidValueError(SchemaError):
    """A value is missing or out of its valid range (e.g. a NaN or negative age)."""


class UnknownConnectionTypeError(SchemaError):
    """A connection type is not part of the chosen domain's vocabulary."""


class InfeasibleKError(PersonaTwinError):
    """The requested k cannot be reached (for example k larger than the population)."""


class UnknownTemplateError(PersonaTwinError, KeyError):
    """No shipped network template has the requested name (also a :class:`KeyError`)."""

    def __str__(self) -> str:  # a plain message, not KeyError's quoted repr
        return ValueError.__str__(self)


class DuplicateColumnError(SchemaError):
    """A table has two columns with the same name (e.g. ``age`` twice)."""


class UndeclaredColumnError(SchemaError):
    """A people column has no role (quasi-identifier, kept or dropped) in a release."""


class DirectIdentifierError(SchemaError):
    """A column to publish looks like a direct identifier (name, SSN, e-mail, ...)."""


class DependentColumnError(SchemaError):
    """A kept column determines a quasi-identifier, so publishing it undoes the
    generalisation (e.g. ``education_num`` -> ``education``)."""


class ReleaseError(PersonaTwinError):
    """A release cannot be written where asked (non-empty folder, input files inside, ...)."""


class PersonaTwinWarning(UserWarning):
    """Base class of warnings issued by personatwin_sklearn."""


class PrivacyWarning(PersonaTwinWarning):
    """A privacy guarantee could only be partly met; the message says what is left."""


class DataQualityWarning(PersonaTwinWarning):
    """The input is valid but looks wrong (a PARENT cycle, connection types differing only
    in case, ...); ``strict=True`` / ``--strict`` makes it an error."""
