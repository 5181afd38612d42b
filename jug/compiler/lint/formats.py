"""Output formats of ``jug lint``: text, json, sarif and github.

* ``text``: ``path:line:col: CODE message``, one per line (as ruff and flake8);
* ``json``: a list of ``{path, line, column, code, message, severity,
  related}`` (``related``: the places the value comes from, each ``{path,
  line, column, message}``), with ``suggestion`` when there is one;
* ``sarif``: a SARIF 2.1.0 log for GitHub code scanning (upload-sarif); the
  places the value comes from, in this file or another, are
  ``relatedLocations``;
* ``github``: workflow commands, ``::error file=...,line=...,col=...::message``,
  which GitHub Actions shows as annotations on the pull request.

Files that could not be checked at all (unreadable, an internal error) are
part of the SARIF log (tool execution notifications) and of the github
annotations; the CLI always reports them on stderr too.
"""

from __future__ import annotations

import json
import os
import urllib.parse

from jug.compiler.lint.rules import RULES

FORMATS = ("text", "json", "sarif", "github")

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
SARIF_VERSION = "2.1.0"


def render(report, output_format: str) -> str:
    """The report in ``output_format`` (one of :data:`FORMATS`); ends with a
    newline unless empty."""
    if output_format == "text":
        return "".join(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}\n"
                       for f in report.findings)
    if output_format == "json":
        return json.dumps([f.as_dict() for f in report.findings], indent=2) + "\n"
    if output_format == "sarif":
        return json.dumps(sarif_log(report), indent=2) + "\n"
    if output_format == "github":
        return render_github(report)
    raise ValueError(f"unknown lint output format {output_format!r}; known: {', '.join(FORMATS)}")


# -- SARIF ---------------------------------------------------------------------

def sarif_log(report) -> dict:
    """A SARIF 2.1.0 log with one run: every rule in ``tool.driver.rules``,
    one result per finding."""
    from jug.version import __version__

    rules = [_sarif_rule(rule) for rule in RULES]
    index = {rule.code: position for position, rule in enumerate(RULES)}
    results = []
    for finding in report.findings:
        result = {
            "ruleId": finding.code,
            "ruleIndex": index[finding.code],
            "level": finding.severity,
            "message": {"text": finding.message},
            "locations": [_location(finding.path, finding.line, finding.column)],
        }
        related_locations = []
        for related in finding.related:
            if (related.path, related.line, related.column) == (
                    finding.path, finding.line, finding.column):
                continue
            location = _location(related.path, related.line, related.column)
            location["id"] = len(related_locations) + 1
            location["message"] = {"text": related.message}
            related_locations.append(location)
        if related_locations:
            result["relatedLocations"] = related_locations
        results.append(result)
    notifications = []
    for error in report.errors:
        notification = {"level": "error", "message": {"text": error.message}}
        if error.path:
            notification["locations"] = [_location(error.path, error.line or 1,
                                                   error.column or 1)]
        notifications.append(notification)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {"name": "jug lint", "version": __version__,
                                "rules": rules}},
            "invocations": [{"executionSuccessful": not report.errors,
                             "toolExecutionNotifications": notifications}],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    }


def _sarif_rule(rule) -> dict:
    from jug.compiler.lint.docs import explain

    return {
        "id": rule.code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary},
        "fullDescription": {"text": " ".join((rule.__doc__ or rule.summary).split())},
        "help": {"text": explain(rule), "markdown": explain(rule)},
        "defaultConfiguration": {"level": rule.severity},
        "properties": {"tags": ["reproducibility", "jug"]},
    }


def _location(path: str, line: int, column: int) -> dict:
    artifact = _artifact_location(path)
    return {"physicalLocation": {"artifactLocation": artifact,
                                 "region": {"startLine": max(line, 1),
                                            "startColumn": max(column, 1)}}}


def _artifact_location(path: str) -> dict:
    """A relative URI (against %SRCROOT%, the checkout) when the path is
    inside the working directory, else a file: URI."""
    if os.path.isabs(path):
        relative = os.path.relpath(path)
        if relative.startswith(os.pardir):
            return {"uri": "file://" + urllib.parse.quote(path.replace(os.sep, "/"))}
        path = relative
    uri = urllib.parse.quote(os.path.normpath(path).replace(os.sep, "/"))
    return {"uri": uri, "uriBaseId": "%SRCROOT%"}


# -- GitHub workflow commands --------------------------------------------------

def render_github(report) -> str:
    lines = []
    for finding in report.findings:
        properties = {"file": finding.path, "line": finding.line, "col": finding.column,
                      "title": f"{finding.code} {_rule_name(finding.code)}"}
        lines.append(_command(finding.severity, properties, finding.message))
    for error in report.errors:
        if error.code is not None:   # already a finding (a syntax error)
            continue
        properties = {"file": error.path}
        if error.line:
            properties.update(line=error.line, col=error.column or 1)
        lines.append(_command("error", properties, error.message))
    return "".join(line + "\n" for line in lines)


def _rule_name(code: str) -> str:
    return next((rule.name for rule in RULES if rule.code == code), "")


def _command(level: str, properties: dict, message: str) -> str:
    rendered = ",".join(f"{key}={_escape_property(str(value))}"
                        for key, value in properties.items())
    return f"::{level} {rendered}::{_escape_data(message)}"


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
