"""The differential harness itself: both implementations agree on the
manual's primes example, and the table parser reads both layouts."""

from oracle import parse_summary_table

PRIMES = """
from jug import TaskGenerator

@TaskGenerator
def is_prime(n):
    return all(n % j for j in range(2, n - 1))

@TaskGenerator
def count_primes(ps):
    return sum(ps)

@TaskGenerator
def a_function_with_a_really_long_name_that_wraps(x):
    return x

n = count_primes([is_prime(n) for n in range(2, 30)])
a_function_with_a_really_long_name_that_wraps(n)
"""


def test_parser_reads_wrapped_names():
    text = (
        "      Failed     Waiting       Ready    Complete      Active  Task name         \n"
        "--------------------------------------------------------------------------------\n"
        "           0           1           0           0           0  primes.count_p    \n"
        "                                                                  rimes         \n"
        "           0           0          99           0           0  primes.is_prime   \n"
        "................................................................................\n"
        "           0           1          99           0           0  Total             \n")
    titles, table = parse_summary_table(text)
    assert titles == ["Failed", "Waiting", "Ready", "Complete", "Active"]
    assert table == {"primes.count_primes": dict(zip(titles, [0, 1, 0, 0, 0])),
                     "primes.is_prime": dict(zip(titles, [0, 0, 99, 0, 0]))}


def test_both_agree_on_primes(differential):
    scenario = differential.scenario({"jugfile.py": PRIMES})
    before = scenario.assert_same_status()
    assert before["ours"].table()["jugfile.is_prime"]["Ready"] == 28
    scenario.execute()
    after = scenario.assert_same_status()
    assert after["original"].returncode == 0
    loaded = scenario.python("""
        import jug
        jug.init('jugfile.py', 'jugfile.jugdata')
        import jugfile
        print(jug.value(jugfile.n))
    """)
    assert loaded["original"].stdout == loaded["ours"].stdout == "10\n", loaded
