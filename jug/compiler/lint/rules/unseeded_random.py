"""JUG101: a random number from an unseeded generator reaches a task."""

from jug.compiler.lint.model import ERROR, VALUE, LintRule

_STDLIB_SAMPLERS = frozenset(f"random.{name}" for name in (
    "random", "randint", "randrange", "choice", "choices", "sample", "shuffle", "uniform",
    "gauss", "normalvariate", "lognormvariate", "expovariate", "vonmisesvariate",
    "gammavariate", "betavariate", "paretovariate", "weibullvariate", "triangular",
    "getrandbits", "randbytes", "binomialvariate"))

# numpy.random.* that are not legacy sampling functions.
_NUMPY_NOT_SAMPLERS = frozenset(f"numpy.random.{name}" for name in (
    "seed", "default_rng", "RandomState", "Generator", "SeedSequence", "BitGenerator",
    "PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64", "get_state", "set_state",
    "get_bit_generator", "set_bit_generator"))

# Generator constructors: nondeterministic unless given a seed.
_GENERATORS = {
    "random.Random": ("x", "seed"),
    "numpy.random.default_rng": ("seed",),
    "numpy.random.RandomState": ("seed",),
    "numpy.random.SeedSequence": ("entropy",),
    "numpy.random.PCG64": ("seed",),
    "numpy.random.PCG64DXSM": ("seed",),
    "numpy.random.MT19937": ("seed",),
    "numpy.random.Philox": ("seed",),
    "numpy.random.SFC64": ("seed",),
}

_UNSEEDABLE = frozenset({"os.urandom", "random.SystemRandom", "secrets.token_bytes",
                         "secrets.token_hex", "secrets.token_urlsafe", "secrets.randbelow",
                         "secrets.randbits", "secrets.choice", "secrets.SystemRandom"})


def _has_seed(call, keywords) -> bool:
    """Whether ``call`` gets a seed: a first positional argument or one of
    ``keywords``, that is not None."""
    seed = call.positional()[0] if call.positional() else None
    for keyword in keywords:
        seed = seed or call.keyword(keyword)
    return seed is not None and seed.type != "none"


_SEED_SUGGESTIONS = {
    "random": "call random.seed(SEED) once before the first draw (SEED: a number you choose)",
    "numpy": "call numpy.random.seed(SEED) once before the first draw, or draw from "
             "rng = numpy.random.default_rng(SEED)",
}


class UnseededRandom(LintRule):
    """Every run of an unseeded generator draws different numbers, so a task
    that receives one is a *new* task every time the jugfile is loaded: jug
    never finds its result and recomputes it, and everything after it
    (the manual's FAQ "It doesn't work with random input!").

    Flagged: ``random.*`` functions before ``random.seed(SEED)``; numpy's
    legacy ``numpy.random.*`` functions before ``numpy.random.seed(SEED)``;
    ``random.Random()``, ``numpy.random.default_rng()``, ``RandomState()``
    and bit generators created without a seed (or with ``seed=None``, also
    through a helper's default argument), and whatever is drawn from them;
    ``os.urandom``, ``secrets`` and ``random.SystemRandom``, which cannot be
    seeded.  ``random.seed()`` without an argument seeds from the operating
    system and does not count.

    A seed counts from where it runs on: at the top level, in a function the
    jugfile calls, or at the top level of a local module it imports.  A seed
    that runs only on some paths (inside ``if args.seed:``, a loop that may
    not run, after an early ``return``) does not make a later draw safe.
    ``jug lint --fix`` does not choose a seed for you; it suggests where to
    put one.
    """

    code = "JUG101"
    name = "unseeded-random"
    severity = ERROR
    summary = "A random number from an unseeded generator reaches a task argument."
    message = ("{source} ({where}) reaches {argument} of task `{task}`; seed it first "
               "(random.seed(SEED), numpy.random.seed(SEED)) or draw from "
               "numpy.random.default_rng(SEED)")

    VALID = (
        """\
import random
from jug import TaskGenerator

@TaskGenerator
def simulate(x):
    return x * 2

random.seed(123)
result = simulate(random.random())
""",
        """\
import numpy as np
from jug import TaskGenerator

@TaskGenerator
def fit(data, alpha):
    return data.mean() * alpha

rng = np.random.default_rng(42)
noise = rng.normal(size=100)
model = fit(noise, alpha=0.5)
""",
        """\
import random
from jug import TaskGenerator

@TaskGenerator
def simulate(x):
    return x * 2

# random numbers that never reach a task are fine
jitter = random.random()
print(jitter)
result = simulate(3)
""",
        """\
import random
import sys
from jug import TaskGenerator

@TaskGenerator
def tune(lr):
    return lr

def setup():
    # seeded on every path: from the command line or a fixed default
    if len(sys.argv) > 1:
        random.seed(int(sys.argv[1]))
    else:
        random.seed(0)

setup()
lr = tune(random.uniform(1e-4, 1e-2))
""",
    )
    INVALID = (
        """\
from random import random as r
from jug import Task

def f(x):
    return x * 2

result = Task(f, r())  # <- JUG101
""",
        """\
import numpy as np
from jug import TaskGenerator

@TaskGenerator
def fit(data, alpha):
    return data.mean() * alpha

rng = np.random.default_rng()
noise = rng.normal(size=100)
model = fit(noise, alpha=0.5)  # <- JUG101
""",
        """\
import numpy as np
import random
from jug import TaskGenerator

@TaskGenerator
def simulate(x):
    return x * 2

random.seed(1)          # seeds random, not numpy.random
starts = [np.random.rand() for _ in range(4)]
runs = [simulate(x) for x in starts]  # <- JUG101
""",
        """\
import random
import sys
from jug import TaskGenerator

@TaskGenerator
def tune(lr):
    return lr

if len(sys.argv) > 1:
    random.seed(int(sys.argv[1]))      # a seed that may not run
lr = tune(random.uniform(1e-4, 1e-2))  # <- JUG101
""",
        """\
import numpy as np
from jug import TaskGenerator

@TaskGenerator
def fit(x):
    return x

def jittered(base, seed=None):
    rng = np.random.default_rng(seed)
    return [b + rng.normal() for b in base]

params = [fit(x) for x in jittered([1.0, 2.0])]  # <- JUG101
""",
    )

    def source(self, call):
        if call.matches(("random.seed",)):
            self._seed("random", call)
            return None
        if call.matches(("numpy.random.seed",)):
            self._seed("numpy", call)
            return None
        name = call.matches(_UNSEEDABLE)
        if name is not None:
            return call.taint(self, VALUE, f"random value from {name}() (it cannot be seeded)")
        name = call.matches(_GENERATORS)
        if name is not None:
            if _has_seed(call, _GENERATORS[name]):
                return None
            return call.taint(self, VALUE, f"generator {name}() created without a seed",
                              suggestion=f"pass a seed: {name}(SEED), SEED a number you choose")
        name = call.matches(_STDLIB_SAMPLERS)
        if name is not None:
            return self._draw("random", name, call)
        for name in call.qualified_names:
            if (name.startswith("numpy.random.") and name.count(".") == 2
                    and name not in _NUMPY_NOT_SAMPLERS):
                return self._draw("numpy", name, call)
        return None

    def _seed(self, module, call):
        key = f"{self.code}:seeded:{module}"
        if _has_seed(call, ("seed", "a")):
            facts = frozenset()
            for argument in call.args:
                facts |= argument.taints
            call.state.set(key, facts)
        else:
            call.state.set(key, None)

    def _draw(self, module, name, call):
        seed = call.state.get(f"{self.code}:seeded:{module}")
        if seed is not None:
            return seed   # a seed that is itself nondeterministic passes its facts on
        seeder = "random.seed" if module == "random" else "numpy.random.seed"
        return call.taint(self, VALUE, f"random number from {name}() without {seeder}()",
                          suggestion=_SEED_SUGGESTIONS[module])
