"""The errors diffstudy raises on purpose, each meant to become a one-line message."""

from __future__ import annotations


class DiffstudyError(Exception):
    """Base class of every error diffstudy reports as a one-line message."""


class DomainError(DiffstudyError, ArithmeticError):
    """A primitive or its derivative is undefined at its argument (log of a negative number)."""


class UnsupportedOperation(DiffstudyError, TypeError):
    """A call the engines cannot follow, such as ``math.sin`` on a dual number."""


class ArgumentError(DiffstudyError, TypeError):
    """An argument of a transform that is not a number, an array, or a list, tuple or dict of them."""


class ShapeError(DiffstudyError, ValueError):
    """The arrays of an operation have shapes that do not fit (numpy's reason is kept)."""


class NestingError(DiffstudyError):
    """Two differentiations were mixed: a dual number of one pass met another pass's."""


class CaseError(DiffstudyError):
    """A case is defined wrongly: its point misses or adds an input, or is not numeric."""


class CallsDisagree(CaseError):
    """f gave another value when called again at the same point: it depends on something it
    changes (a buffer it writes into, a random draw, a counter)."""


class NotFinite(CaseError):
    """An argument a method takes numbers from (one differentiated by, or data the generated code reads)
    holds inf or nan."""


class Declined(DiffstudyError):
    """A method declines a case by design, e.g. symbolic differentiation of a data-dependent branch."""


class BudgetExceeded(DiffstudyError):
    """A symbolic computation grew past its size budget or ran past its time budget."""


class JitWarning(UserWarning):
    """ds.jit leaves f to the tape at some arguments, and says why (once)."""
