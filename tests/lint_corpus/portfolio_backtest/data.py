"""Price data."""
import glob

import pandas as pd


def load_prices(path):
    return pd.read_parquet(path).sort_index()


def tickers_in(path):
    return sorted(pd.read_parquet(path, columns=None).columns.astype(str))


def price_files(folder):
    return glob.glob(f"{folder}/*.parquet")
