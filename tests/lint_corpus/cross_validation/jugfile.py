"""Compare classifiers by stratified cross-validation on tabular data."""
from jug import Task, TaskGenerator, barrier, value

import features
from estimators import ESTIMATORS, ModelSpec, build
from folds import fold_indices, shuffled_folds


@TaskGenerator
def load_matrix(path):
    return features.matrix(path)


@TaskGenerator
def fit_and_score(spec, data, train_index, test_index):
    model = build(spec)
    X, y = data
    model.fit(X[train_index], y[train_index])
    return float(model.score(X[test_index], y[test_index]))


@TaskGenerator
def mean_score(scores):
    return sum(scores) / len(scores)


data = load_matrix("data/train.parquet")
n_rows = 10_000
splits = fold_indices(n_rows, k=5, seed=0)

results = {}
for name, params in sorted(ESTIMATORS.items()):
    spec = {"name": name, "params": params}
    scores = [fit_and_score(spec, data, train, test) for train, test in splits]
    results[name] = mean_score(scores)

# passing the estimator object itself: hashed by pickling
from sklearn.ensemble import RandomForestClassifier

forest = RandomForestClassifier(n_estimators=200, random_state=0)
forest_scores = [Task(fit_and_score, forest, data, train, test)  # expect: JUG203
                 for train, test in splits]

# a spec object of our own, without __jug_hash__
spec_object = ModelSpec("logistic", {"C": 1.0})
object_scores = [fit_and_score(spec_object, data, train, test) for train, test in splits]  # expect: JUG203

# folds shuffled without a seed
random_splits = shuffled_folds(n_rows, k=5)
random_scores = [fit_and_score({"name": "svm", "params": {}}, data, train, test)  # expect: JUG101
                 for train, test in random_splits]
barrier()
print({name: value(score) for name, score in results.items()})
