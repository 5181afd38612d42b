"""Quality-control thresholds."""
import dataclasses


@dataclasses.dataclass(frozen=True)
class Thresholds:
    min_genes: int
    max_mito: float

    def as_dict(self):
        return dataclasses.asdict(self)
