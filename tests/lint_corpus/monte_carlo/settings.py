"""Parameters of the sweep.  Importing this module seeds numpy."""
import numpy as np

np.random.seed(20240131)

MIN_LOAD = 0.1
MAX_LOAD = 0.95
STEPS = 12
QUEUE_CAPACITY = 50
OUTPUT = "results"
