"""The original jug's ``jug.internal`` has no equivalent here."""

from jug.compat import original_only

raise original_only("jug.internal", "use `jug execute --pdb` to debug a failing task")
