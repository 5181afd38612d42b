"""Backtest portfolio strategies on daily prices, one task per strategy and year."""
import datetime
import os
import random

import numpy as np
import pandas as pd
from jug import TaskGenerator, barrier, value

from data import load_prices, price_files, tickers_in
from strategies import STRATEGIES, random_weights, weights_for


@TaskGenerator
def backtest(prices, weights, start, end):
    window = prices.loc[start:end]
    returns = window.pct_change().dropna()
    return float((returns @ np.asarray(weights)).add(1).prod())


@TaskGenerator
def backtest_file(path, weights, start, end):
    prices = pd.read_parquet(path)
    return backtest.f(prices, weights, start, end)


@TaskGenerator
def report(results, generated):
    return {"results": results, "generated": generated}


prices = load_prices("prices/daily.parquet")
tickers = tickers_in("prices/daily.parquet")

# passing the DataFrame itself: hashed by pickling
years = [str(year) for year in range(2015, 2024)]
frame_results = [backtest(prices, weights_for("equal", tickers), f"{y}-01-01", f"{y}-12-31")  # expect: JUG203
                 for y in years]

# passing the file instead: plain strings
results = {}
for name in sorted(STRATEGIES):
    weights = weights_for(name, tickers)
    results[name] = [backtest_file("prices/daily.parquet", weights, f"{y}-01-01", f"{y}-12-31")
                     for y in years]

# a random portfolio, seeded only when SEED is set
if os.environ.get("SEED"):
    random.seed(int(os.environ["SEED"]))
lottery = [backtest_file("prices/daily.parquet", random_weights(len(tickers)), f"{y}-01-01",  # expect: JUG101
                         f"{y}-12-31") for y in years]

# every file of the folder, in listing order, in one task
per_file = [backtest_file(path, [1.0], "2020-01-01", "2020-12-31") for path in price_files("prices")]
combined = report(per_file, "2024-01-01")  # expect: JUG103

# generated today
dated = report(results, datetime.datetime.today().strftime("%Y-%m-%d"))  # expect: JUG102
barrier()
print(value(combined)["generated"])
