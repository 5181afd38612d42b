"""A Griffe extension for the API reference: jug's docstrings name other
objects with Sphinx roles (``:func:`barrier```), which mkdocstrings would show
as is; this shows them as code (``barrier``)."""

import re

import griffe

ROLE = re.compile(r":(?:func|class|meth|mod|attr|data|exc|obj):`~?([^`]+)`")


class SphinxRoles(griffe.Extension):
    def on_instance(self, *, obj, **kwargs):
        if obj.docstring is not None:
            obj.docstring.value = ROLE.sub(r"`\1`", obj.docstring.value)
