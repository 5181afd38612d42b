"""Print the characteristic words of each document, from the results of
`jug execute` (run it in this directory)."""

import jug

jug.init("jugfile.py", "jugfile.jugdata")
import jugfile  # noqa: E402  (the module jug.init traced)

for title, words in zip(jugfile.titles, jug.value(jugfile.results)):
    print(f"{title}: {' '.join(words[:8])}")
