"""``jug demo``: write the primes example into ``jug-demo/``."""

from jug.cli.options import jug_command


@jug_command("demo")
def command():
    """The folder is ready to run; if it exists already, nothing is written
    (`Jug-demo previously created`).

    \b
    Example:
        jug demo && cd jug-demo && jug execute primes.py -j 4 && cat output.txt
    """
    from jug.project.demo import write_demo

    raise SystemExit(write_demo())
