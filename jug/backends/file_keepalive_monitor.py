"""The original jug's ``jug.backends.file_keepalive_monitor`` has no equivalent here."""

from jug.compat import original_only

raise original_only("jug.backends.file_keepalive_monitor", "locks of every store carry a "
                    "heartbeat that the worker refreshes itself (jug.store.base.LockInfo)")
