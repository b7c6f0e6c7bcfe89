"""Redis for autoloop: a connection from ``REDIS_URL`` or an embedded server, and the key layout."""

from autoloop.storage import _keys as keys
from autoloop.storage._connect import connect, data_home, redis_url
from autoloop.storage._embedded import EmbeddedRedis, redis_server_binary

__all__ = ["EmbeddedRedis", "connect", "data_home", "keys", "redis_server_binary", "redis_url"]
