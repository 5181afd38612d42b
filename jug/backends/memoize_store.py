"""The original jug's ``jug.backends.memoize_store`` has no equivalent here."""

from jug.compat import original_only

raise original_only("jug.backends.memoize_store", "the executor keeps loaded results in "
                    "memory itself; open a store with jug.backends.select(jugdir)")
