"""MkDocs hooks of the user guide (see mkdocs.yml).

* ``subcommands.md``: the marker line becomes the ``--help`` of every command
  (:mod:`subcommands`), rendered from the click commands at build time.
"""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
for path in (HERE, REPO):
    if path not in sys.path:
        sys.path.insert(0, path)

import subcommands  # noqa: E402  (after the path set-up above)


def on_page_markdown(markdown, page, config, files):
    return subcommands.expand(markdown)
