"""Command-line tools shipped with redkeep (redis-check-rdb & co)."""
