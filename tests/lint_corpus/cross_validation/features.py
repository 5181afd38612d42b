"""Reading the feature matrix."""
import numpy as np


def matrix(path):
    import pandas as pd

    frame = pd.read_parquet(path)
    return frame.drop(columns="label").to_numpy(), frame["label"].to_numpy()
