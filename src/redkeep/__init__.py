"""redkeep: a Redis 7.0-compatible data server in Python that keeps data safe."""

__version__ = "0.1.0"
REDIS_VERSION = "7.0.15"  # the Redis version whose behaviour redkeep implements
