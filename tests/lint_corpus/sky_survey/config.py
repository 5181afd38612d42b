"""Extraction settings."""
import dataclasses
import time


@dataclasses.dataclass
class RunConfig:
    threshold: float
    radius: float = 1.5
    created: float = 0.0

    @classmethod
    def now(cls, threshold):
        return cls(threshold=threshold, created=time.time())


def default_config():
    return RunConfig(threshold=5.0)
