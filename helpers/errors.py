"""One readable sentence for a user mistake, instead of a traceback."""

from __future__ import annotations

import sys


class KitError(Exception):
    """Something the learner can fix; the message says what and how."""


def show_kit_errors_briefly() -> None:
    """In Jupyter/IPython, print a KitError as one line instead of a traceback.

    Other exceptions keep their full traceback: those are bugs worth seeing.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is None:
        return

    def handler(shell, etype, value, tb, tb_offset=None):  # IPython's custom-exception signature
        print(f"KitError: {value}", file=sys.stderr)
        return None

    shell.set_custom_exc((KitError,), handler)
