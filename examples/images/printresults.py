"""Print the features of the first images and the chosen number of clusters
(run `jug execute` in this directory first)."""

import jug

jug.init("jugfile.py", "jugfile.jugdata")
import jugfile  # noqa: E402  (the module jug.init traced)

for img, feature in zip(jugfile.imgs[:3], jugfile.features[:3]):
    print(jug.value(img), " ".join(f"{x:.3f}" for x in jug.value(feature)))
print("Best number of clusters:", jug.value(jugfile.best_k))
