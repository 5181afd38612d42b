"""Print the kept inputs and their results (run `jug execute` here first)."""

import jug

jug.init("jugfile.py", "jugfile.jugdata")
import jugfile  # noqa: E402  (the module jug.init traced)

print("kept:", jugfile.inputs)
print("steps:", jug.value(jugfile.results))
