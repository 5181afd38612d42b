# A __jug_hash__ written for jug 2, with jug.hash.new_hash_object and
# hash_update (tests/test_compat_aliases.py, tests/test_migrate.py).
import jug.hash
from jug import TaskGenerator


class Point:
    def __init__(self, x):
        self.x = x

    def __jug_hash__(self):
        M = jug.hash.new_hash_object()
        return jug.hash.hash_update(M, [("x", self.x)]).hexdigest().encode()


@TaskGenerator
def norm(point):
    return abs(point.x)


norms = [norm(Point(x)) for x in (-2, 3)]
