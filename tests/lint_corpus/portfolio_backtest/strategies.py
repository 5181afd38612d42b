"""Portfolio weights."""
import random

STRATEGIES = {"equal", "momentum", "value"}


def weights_for(name, tickers):
    if name == "equal":
        return [1.0 / len(tickers)] * len(tickers)
    if name == "momentum":
        return [1.0 if i < 10 else 0.0 for i, _ in enumerate(tickers)]
    return [0.5] * len(tickers)


def random_weights(n):
    raw = [random.random() for _ in range(n)]
    total = sum(raw)
    return [w / total for w in raw]
