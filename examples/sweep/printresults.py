"""Print the score landscape, one row per degree (run `jug execute` first)."""

import jug

jug.init("jugfile.py", "jugfile.jugdata")
import jugfile  # noqa: E402  (the module jug.init traced)

results = jug.value(jugfile.results)
p1s = sorted({p1 for _, p1 in results})
print("p0 \\ p1 " + " ".join(f"{p1:>7}" for p1 in p1s))
for p0 in sorted({p0 for p0, _ in results}):
    print(f"{p0:>7} " + " ".join(f"{results[p0, p1]:7.4f}" for p1 in p1s))
print("best:", jug.value(jugfile.best))
