"""Print what the decrypt example found (run `jug execute` here first)."""

import jug

jug.init("jugfile.py", "jugfile.jugdata")
import jugfile  # noqa: E402  (the module jug.init traced)

for password, text in jug.value(jugfile.fullresults):
    print(f"{text}\n\n Password was '{password}'")
