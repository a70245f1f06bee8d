"""local_aws: the kit's local AWS endpoint.

One process on 127.0.0.1 that speaks the AWS wire protocol: moto answers the
control plane and storage APIs, and kit engines (see ``dispatch``) answer the
operations moto only stubs. Start it with ``python -m local_aws start``.
"""

__version__ = "0.1.0"

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4750
HEALTH_PATH = "/_local_aws/health"
RESET_PATH = "/_local_aws/reset"
CONFIG_PATH = "/_local_aws/config"


class LocalAwsError(Exception):
    """A user-facing problem, told in one sentence (no traceback)."""
