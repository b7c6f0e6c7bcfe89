"""Redis for autoloop: a connection from ``REDIS_URL`` or an embedded server, and the key layout."""

from autoloop.redisdb import _keys as keys
from autoloop.redisdb._connect import connect, data_home, redis_url
from autoloop.redisdb._embedded import EmbeddedRedis, redis_server_binary
from autoloop.redisdb._secrets import StudySecrets

__all__ = ["EmbeddedRedis", "StudySecrets", "connect", "data_home", "keys", "redis_server_binary", "redis_url"]
