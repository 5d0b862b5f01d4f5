"""gigacheck: pytest checks for a site's GigaChat integration.

Importing this package has no side effects: the pytest plugin lives in
``gigacheck.plugin`` and is loaded by the top-level ``conftest.py``.
"""

__version__ = "0.1.0"


class GigacheckWarning(UserWarning):
    """A finding that deserves attention but should not fail a deploy.

    ``-W error::gigacheck.GigacheckWarning`` turns these into failures.
    The first argument is the rendered message, which starts with ``[CODE]``.
    """

    def __init__(self, message: str, code: str = ""):
        super().__init__(message)
        self.code = code


__all__ = ["GigacheckWarning", "__version__"]
