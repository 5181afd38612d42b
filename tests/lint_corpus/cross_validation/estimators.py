"""The classifiers compared, as plain parameters."""
import dataclasses

ESTIMATORS = {
    "logistic": {"C": 1.0, "max_iter": 500},
    "forest": {"n_estimators": 200, "random_state": 0},
    "svm": {"C": 10.0, "kernel": "rbf"},
}


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    name: str
    params: dict


def build(spec):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.svm import SVC

    kinds = {"logistic": LogisticRegression, "forest": RandomForestClassifier, "svm": SVC}
    return kinds[spec["name"]](**spec["params"])
