"""Print every value of pipeline.py, canonically, through the script API
(``jug.init`` then ``jug.value``): run under both implementations by
tests/test_migrate.py and compared.  ``python values.py JUGDIR``."""

import sys

import numpy as np

import jug

jug.init("pipeline.py", sys.argv[1])
import pipeline  # noqa: E402  (the module jug.init ran)


def canonical(x):
    if isinstance(x, np.ndarray):
        return ("ndarray", x.dtype.str, x.shape, canonical(x.tolist()))
    if isinstance(x, pipeline.Result):
        return ("Result", canonical(x.a), canonical(x.b))
    if isinstance(x, dict):
        return {k: canonical(v) for k, v in sorted(x.items())}
    if isinstance(x, (list, tuple)):
        return [type(x).__name__] + [canonical(v) for v in x]
    return x


NAMES = ["primes", "n_primes", "total", "mapped", "mapped_sum", "compound", "scaled", "big",
         "mixed", "empty", "paired", "obj", "in_dicts", "custom", "size", "shared",
         "shared_sum", "files", "after_barrier", "squares", "final"]
for name in NAMES:
    print(name, repr(canonical(jug.value(getattr(pipeline, name)))))
