"""Glue's transforms (ApplyMapping, ResolveChoice ...) are not part of the local subset.

The module exists so that the ``from awsglue.transforms import *`` line Glue
Studio puts at the top of every script imports cleanly; a script that calls a
transform gets a NameError naming it.
"""

__all__: list[str] = []
