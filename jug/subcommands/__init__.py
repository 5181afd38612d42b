"""The original jug's ``jug.subcommands`` has no equivalent here."""

from jug.compat import original_only

raise original_only("jug.subcommands", "commands are click commands in jug.cli (one module "
                    "each, registered in jug.cli.COMMANDS); run one from a script with "
                    "jug.jug.main(['jug', 'status', 'jugfile.py'])")
