"""The error and warning types jaxmeans raises that users catch.

Both also derive from scikit-learn's own type of the same name when scikit-learn is
already imported (jaxmeans never imports it itself), so filters and ``except`` clauses
written for scikit-learn apply.
"""

from __future__ import annotations

__all__ = ["ConvergenceWarning", "NotFittedError"]


class ConvergenceWarning(UserWarning):
    """A fit ended somewhere degenerate (fewer distinct clusters than asked for).

    When scikit-learn is already imported, the warning is also an instance of
    ``sklearn.exceptions.ConvergenceWarning``, so filters written for scikit-learn apply.

    Example:
      >>> import warnings
      >>> import numpy as np
      >>> import jaxmeans
      >>> X = np.zeros((6, 2))  # six copies of one point
      >>> with warnings.catch_warnings(record=True) as caught:
      ...     warnings.simplefilter("always")
      ...     _ = jaxmeans.kmeans(X, 3)
      >>> any(issubclass(w.category, jaxmeans.exceptions.ConvergenceWarning) for w in caught)
      True
    """


class NotFittedError(ValueError, AttributeError):
    """Raised when a method needs a fitted estimator.

    When scikit-learn is already imported, the error raised is also an instance of
    ``sklearn.exceptions.NotFittedError``, so code written for scikit-learn catches it;
    jaxmeans never imports scikit-learn itself.

    Example:
      >>> import jaxmeans
      >>> try:
      ...     jaxmeans.KMeans(2).predict([[0.0, 1.0]])
      ... except jaxmeans.exceptions.NotFittedError as err:
      ...     print(type(err).__name__)
      NotFittedError
    """
