"""Helpers for the Data Stream Cloud Analytics notebooks.

Small boto3 functions meant to be read and copied. Start every notebook with::

    import helpers
    cfg = helpers.setup()
"""

from .config import Config, setup
from .errors import KitError

__all__ = ["Config", "KitError", "setup"]
