"""The error and warning types jaxmeans raises that users catch.

Both also derive from scikit-learn's own type of the same name when scikit-learn is
already imported (jaxmeans never imports it itself), so filters and ``except`` clauses
written for scikit-learn apply.
"""

from __future__ import annotations


class ConvergenceWarning(UserWarning):
    """A fit ended somewhere degenerate (fewer distinct clusters than asked for).

    When scikit-learn is already imported, the warning is also an instance of
    ``sklearn.exceptions.ConvergenceWarning``, so filters written for scikit-learn apply.
    """


class NotFittedError(ValueError, AttributeError):
    """Raised when a method needs a fitted estimator.

    When scikit-learn is already imported, the error raised is also an instance of
    ``sklearn.exceptions.NotFittedError``, so code written for scikit-learn catches it;
    jaxmeans never imports scikit-learn itself.
    """
