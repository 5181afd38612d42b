"""``jug lint`` through the front door: exit codes, the four output formats,
``# noqa``, ``[tool.jug.lint]``, ``--explain``.

The SARIF test validates against the structure SARIF 2.1.0 requires
(``SARIF_STRUCTURE`` below, checked with jsonschema).  The official schema is
not vendored: no package on the index ships it (sarif-om, jschema-to-python
and sarif-tools were checked), and the tests do not fetch from the web.
"""

import json
import os
import subprocess
import sys
import textwrap

import jsonschema
import pytest
from click.testing import CliRunner

from jug.cli import main
from jug.compiler.lint.source import PYTHON

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CLEAN = """\
import random
from glob import glob
from jug import TaskGenerator

@TaskGenerator
def process(path, seed):
    return path, seed

random.seed(1)
results = [process(path, random.random()) for path in sorted(glob("*.txt"))]
"""

DIRTY = """\
import time
from glob import glob
from jug import TaskGenerator

@TaskGenerator
def process(paths, seed):
    return paths, seed

results = process(glob("*.txt"), seed=time.time())
"""

WARNING_ONLY = """\
from jug import Task

square = Task(lambda x: x * x, 3)
"""

BROKEN = """\
from jug import TaskGenerator

x = (1,
"""


def write(directory, name, text):
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return str(path)


def lint(*args, cwd=None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, ["lint", *map(str, args)], catch_exceptions=False)
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, ["lint", *map(str, args)], catch_exceptions=False)
    finally:
        os.chdir(old)


# -- exit codes and the text format ---------------------------------------------

def test_clean_file_exits_0(tmp_path):
    path = write(tmp_path, "jugfile.py", CLEAN)
    result = lint(path)
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert "1 file checked, no problems found" in result.stderr


def test_findings_exit_1_in_the_text_format(tmp_path):
    path = write(tmp_path, "jugfile.py", DIRTY)
    result = lint(path)
    assert result.exit_code == 1, result.output
    assert result.stdout == (
        f"{path}:9:19: JUG103 directory listing order of glob.glob() (line 9) reaches "
        "argument `paths` of task `process`; wrap the listing in sorted(...) or use "
        "jug.utils.cached_glob\n"
        f"{path}:9:39: JUG102 clock time from time.time() (line 9) reaches argument `seed` "
        "of task `process`; pass a fixed value instead (written in the jugfile or given on "
        "the command line)\n")
    assert "2 errors, 0 warnings" in result.stderr


def test_warnings_alone_also_exit_1(tmp_path):
    result = lint(write(tmp_path, "w.py", WARNING_ONLY))
    assert result.exit_code == 1, result.output
    assert "JUG202" in result.stdout
    assert "0 errors, 1 warning" in result.stderr


def test_default_path_is_jugfile_py(tmp_path):
    write(tmp_path, "jugfile.py", DIRTY)
    result = lint(cwd=tmp_path)
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith("jugfile.py:9:19: JUG103")


def test_unparsable_file_exits_2_and_the_other_files_are_still_linted(tmp_path):
    broken = write(tmp_path, "a_broken.py", BROKEN)
    dirty = write(tmp_path, "b_dirty.py", DIRTY)
    result = lint(broken, dirty)
    assert result.exit_code == 2, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (f"{broken}:3:5: JUG001 Python {PYTHON} cannot compile this file: '(' "
                        "was never closed")
    assert [line.split(": ")[1].split()[0] for line in lines[1:]] == ["JUG103", "JUG102"]
    # the caret display, like Python's
    assert (f"{broken}:3:5: JUG001 Python {PYTHON} cannot compile this file: '(' was never "
            "closed\n    x = (1,\n        ^") in result.stderr


def test_a_directory_lints_its_python_files(tmp_path):
    write(tmp_path, "project/clean.py", CLEAN)
    write(tmp_path, "project/dirty.py", DIRTY)
    write(tmp_path, "project/notes.txt", "not python (")
    result = lint(tmp_path / "project")
    assert result.exit_code == 1, result.output
    assert {line.split(":")[0] for line in result.stdout.splitlines()} == {
        str(tmp_path / "project" / "dirty.py")}
    assert "2 files" in result.stderr


def test_an_internal_error_exits_2_and_the_other_files_are_still_linted(tmp_path, monkeypatch):
    from jug.compiler.lint.rules.clock_time import ClockTime

    def broken_source(self, call):
        if "time.time" in call.qualified_names:
            raise RuntimeError("rule bug")
        return None

    monkeypatch.setattr(ClockTime, "source", broken_source)
    crashing = write(tmp_path, "a.py", DIRTY)
    other = write(tmp_path, "b.py", DIRTY.replace("time.time()", "1"))
    result = lint(crashing, other, "--format", "github")
    assert result.exit_code == 2, result.output
    assert result.stdout.splitlines() == [
        f"::error file={other},line=9,col=19,title=JUG103 unsorted-directory-listing::"
        "directory listing order of glob.glob() (line 9) reaches argument `paths` of task "
        "`process`; wrap the listing in sorted(...) or use jug.utils.cached_glob",
        f"::error file={crashing}::internal error in jug lint (RuntimeError: rule bug); "
        "please report it"]
    assert f"{crashing}: internal error in jug lint (RuntimeError: rule bug)" in result.stderr


def test_missing_file_exits_2(tmp_path):
    result = lint(tmp_path / "nope.py")
    assert result.exit_code == 2, result.output
    assert "nope.py: no such file or directory" in result.stderr


# -- formats ----------------------------------------------------------------------

def test_json_format(tmp_path):
    path = write(tmp_path, "jugfile.py", DIRTY)
    result = lint(path, "--format", "json")
    assert result.exit_code == 1, result.output
    data = json.loads(result.stdout)
    assert [sorted(item) for item in data] == [
        ["code", "column", "line", "message", "path", "related", "severity"]] * 2
    assert data[1]["related"] == [{"path": path, "line": 9, "column": 39, "message":
                                   "clock time from time.time(): the nondeterministic value "
                                   "comes from here"}]
    assert [(d["path"], d["line"], d["column"], d["code"], d["severity"]) for d in data] == [
        (path, 9, 19, "JUG103", "error"), (path, 9, 39, "JUG102", "error")]


def test_json_format_of_a_clean_file_is_an_empty_list(tmp_path):
    result = lint(write(tmp_path, "jugfile.py", CLEAN), "--format", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == []


def test_github_format(tmp_path):
    dirty = write(tmp_path, "jugfile.py", DIRTY)
    warning = write(tmp_path, "w.py", WARNING_ONLY)
    result = lint(dirty, warning, "--format", "github")
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == (
        f"::error file={dirty},line=9,col=19,title=JUG103 unsorted-directory-listing::"
        "directory listing order of glob.glob() (line 9) reaches argument `paths` of task "
        "`process`; wrap the listing in sorted(...) or use jug.utils.cached_glob")
    assert lines[2].startswith(f"::warning file={warning},line=3,col=15,"
                               "title=JUG202 lambda-task-function::")
    assert len(lines) == 3


def test_github_format_escapes_properties_and_data():
    from jug.compiler.lint.formats import _command

    assert _command("error", {"file": "a,b:c.py", "line": 1}, "50% done\nnext") == \
        "::error file=a%2Cb%3Ac.py,line=1::50%25 done%0Anext"


SARIF_STRUCTURE = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "definitions": {
        "message": {"type": "object", "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
                    "properties": {"text": {"type": "string"}}},
        "region": {"type": "object",
                   "properties": {"startLine": {"type": "integer", "minimum": 1},
                                  "startColumn": {"type": "integer", "minimum": 1}}},
        "artifactLocation": {"type": "object",
                             "properties": {"uri": {"type": "string", "format": "uri-reference"},
                                            "uriBaseId": {"type": "string"}}},
        "location": {"type": "object", "properties": {
            "id": {"type": "integer", "minimum": -1},
            "message": {"$ref": "#/definitions/message"},
            "physicalLocation": {
                "type": "object",
                "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
                "properties": {"artifactLocation": {"$ref": "#/definitions/artifactLocation"},
                               "region": {"$ref": "#/definitions/region"}}}}},
        "level": {"enum": ["none", "note", "warning", "error"]},
        "reportingDescriptor": {
            "type": "object", "required": ["id"],
            "properties": {
                "id": {"type": "string"}, "name": {"type": "string"},
                "shortDescription": {"$ref": "#/definitions/message"},
                "fullDescription": {"$ref": "#/definitions/message"},
                "help": {"$ref": "#/definitions/message"},
                "defaultConfiguration": {"type": "object",
                                         "properties": {"level": {"$ref": "#/definitions/level"}}},
            }},
        "result": {
            "type": "object", "required": ["message"],
            "properties": {
                "ruleId": {"type": "string"}, "ruleIndex": {"type": "integer", "minimum": -1},
                "level": {"$ref": "#/definitions/level"},
                "message": {"$ref": "#/definitions/message"},
                "locations": {"type": "array", "items": {"$ref": "#/definitions/location"}},
                "relatedLocations": {"type": "array",
                                     "items": {"$ref": "#/definitions/location"}},
            }},
        "notification": {"type": "object", "required": ["message"], "properties": {
            "level": {"$ref": "#/definitions/level"},
            "message": {"$ref": "#/definitions/message"},
            "locations": {"type": "array", "items": {"$ref": "#/definitions/location"}}}},
    },
    "type": "object",
    "required": ["version", "runs"],
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "version": {"enum": ["2.1.0"]},
        "runs": {"type": "array", "items": {
            "type": "object", "required": ["tool"],
            "properties": {
                "tool": {"type": "object", "required": ["driver"], "properties": {
                    "driver": {"type": "object", "required": ["name"], "properties": {
                        "name": {"type": "string"}, "version": {"type": "string"},
                        "rules": {"type": "array",
                                  "items": {"$ref": "#/definitions/reportingDescriptor"}}}}}},
                "invocations": {"type": "array", "items": {
                    "type": "object", "required": ["executionSuccessful"], "properties": {
                        "executionSuccessful": {"type": "boolean"},
                        "toolExecutionNotifications": {
                            "type": "array", "items": {"$ref": "#/definitions/notification"}}}}},
                "columnKind": {"enum": ["utf16CodeUnits", "unicodeCodePoints"]},
                "results": {"type": "array", "items": {"$ref": "#/definitions/result"}},
            }}},
    },
}


def test_sarif_format_validates_and_points_at_argument_and_source(tmp_path):
    write(tmp_path, "src/jugfile.py", """\
        import time
        from jug import TaskGenerator

        @TaskGenerator
        def train(seed):
            return seed

        now = time.time()
        model = train(now)
        """)
    result = lint("src/jugfile.py", "--format", "sarif", cwd=tmp_path)
    assert result.exit_code == 1, result.output
    log = json.loads(result.stdout)
    jsonschema.validate(log, SARIF_STRUCTURE)
    assert log["version"] == "2.1.0"
    assert log["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    [run] = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "jug lint"
    from jug.compiler.lint import RULES
    assert [rule["id"] for rule in driver["rules"]] == [rule.code for rule in RULES]
    [finding] = run["results"]
    assert finding["ruleId"] == "JUG102"
    assert driver["rules"][finding["ruleIndex"]]["id"] == "JUG102"
    assert finding["level"] == "error"
    assert finding["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "src/jugfile.py", "uriBaseId": "%SRCROOT%"},
        "region": {"startLine": 9, "startColumn": 15}}
    assert finding["relatedLocations"][0]["physicalLocation"]["region"] == {
        "startLine": 8, "startColumn": 7}
    assert run["invocations"] == [{"executionSuccessful": True,
                                   "toolExecutionNotifications": []}]


def test_sarif_reports_files_that_could_not_be_checked(tmp_path):
    broken = write(tmp_path, "broken.py", BROKEN)
    result = lint(broken, tmp_path / "missing.py", "--format", "sarif")
    assert result.exit_code == 2, result.output
    log = json.loads(result.stdout)
    jsonschema.validate(log, SARIF_STRUCTURE)
    [run] = log["runs"]
    assert [r["ruleId"] for r in run["results"]] == ["JUG001"]
    [invocation] = run["invocations"]
    assert invocation["executionSuccessful"] is False
    assert len(invocation["toolExecutionNotifications"]) == 2


def test_output_file(tmp_path):
    path = write(tmp_path, "jugfile.py", DIRTY)
    out = tmp_path / "report.sarif"
    result = lint(path, "--format", "sarif", "-o", out)
    assert result.exit_code == 1, result.output
    assert result.stdout == ""
    jsonschema.validate(json.loads(out.read_text()), SARIF_STRUCTURE)


# -- noqa ---------------------------------------------------------------------------

def test_noqa(tmp_path):
    path = write(tmp_path, "jugfile.py", """\
        import random, time
        from jug import TaskGenerator

        @TaskGenerator
        def f(x, y=0):
            return x

        a = f(random.random())  # noqa
        b = f(random.random())  # noqa: JUG101
        c = f(random.random())  # NOQA:JUG102,JUG101
        d = f(random.random())  # noqa: JUG102
        e = f(random.random(), time.time())  # noqa: JUG102
        seed = time.time()  # noqa: JUG102
        g = f(seed)
        h = f("# noqa")
        i = f(time.time())  # a comment, not noqa
        """)
    result = lint(path, "--format", "json")
    assert [(d["line"], d["code"]) for d in json.loads(result.stdout)] == [
        (11, "JUG101"), (12, "JUG101"), (16, "JUG102")]


def test_noqa_and_ignore_do_not_hide_a_syntax_error(tmp_path):
    path = write(tmp_path, "x.py", "x = (  # noqa\n")
    for options in ([], ["--ignore", "JUG001"], ["--select", "JUG101"]):
        result = lint(path, *options)
        assert result.exit_code == 2
        assert "JUG001" in result.stdout


# -- configuration -----------------------------------------------------------------

def test_config_select_and_ignore(tmp_path):
    write(tmp_path, "pyproject.toml", """\
        [tool.jug.lint]
        select = ["JUG1"]
        ignore = ["clock-time"]
        """)
    path = write(tmp_path, "jobs/jugfile.py", DIRTY + WARNING_ONLY)
    result = lint(path, "--format", "json")
    assert [d["code"] for d in json.loads(result.stdout)] == ["JUG103"]


def test_config_per_file_ignores(tmp_path):
    write(tmp_path, "pyproject.toml", """\
        [tool.jug.lint]
        per-file-ignores = { "legacy/*.py" = ["JUG103"], "scratch_*.py" = ["ALL"] }
        """)
    legacy = write(tmp_path, "legacy/old.py", DIRTY)
    scratch = write(tmp_path, "scratch_1.py", DIRTY)
    current = write(tmp_path, "new.py", DIRTY)
    result = lint(legacy, scratch, current, "--format", "json")
    assert [(os.path.basename(d["path"]), d["code"]) for d in json.loads(result.stdout)] == [
        ("old.py", "JUG102"), ("new.py", "JUG103"), ("new.py", "JUG102")]


def test_nearest_pyproject_with_the_table_wins(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.jug.lint]\nignore = ["JUG102"]\n')
    write(tmp_path, "sub/pyproject.toml", '[project]\nname = "x"\n')   # no table: skipped
    write(tmp_path, "sub/inner/pyproject.toml", '[tool.jug.lint]\nignore = ["JUG103"]\n')
    outer = write(tmp_path, "sub/a.py", DIRTY)
    inner = write(tmp_path, "sub/inner/b.py", DIRTY)
    result = lint(outer, inner, "--format", "json")
    assert [(os.path.basename(d["path"]), d["code"]) for d in json.loads(result.stdout)] == [
        ("a.py", "JUG103"), ("b.py", "JUG102")]


def test_command_line_select_and_ignore_override_the_config(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.jug.lint]\nselect = ["JUG102"]\n')
    path = write(tmp_path, "jugfile.py", DIRTY + WARNING_ONLY)
    result = lint(path, "--format", "json", "--select", "JUG1,JUG2", "--ignore", "JUG103")
    assert [d["code"] for d in json.loads(result.stdout)] == ["JUG102", "JUG202"]


@pytest.mark.parametrize("table, complaint", [
    ('select = ["JUG999"]', "unknown rule code 'JUG999'"),
    ('selekt = ["JUG101"]', "unknown key(s) selekt"),
    ("ignore = 3", "ignore must be a list of rule codes"),
    ("select = [", "invalid TOML"),
])
def test_bad_config_exits_2_and_says_why(tmp_path, table, complaint):
    write(tmp_path, "pyproject.toml", f"[tool.jug.lint]\n{table}\n")
    result = lint(write(tmp_path, "jugfile.py", CLEAN))
    assert result.exit_code == 2, result.output
    assert complaint in result.stderr


def test_unknown_code_on_the_command_line_exits_2(tmp_path):
    result = lint(write(tmp_path, "jugfile.py", CLEAN), "--ignore", "JUG77X")
    assert result.exit_code == 2
    assert "--ignore: unknown rule code 'JUG77X'" in result.stderr


# -- --explain ------------------------------------------------------------------------

def test_explain():
    result = lint("--explain", "JUG101")
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# JUG101 `unseeded-random` (error)")
    assert "random.seed" in result.stdout
    assert "Flagged:" in result.stdout and "Not flagged:" in result.stdout


def test_explain_by_name_and_unknown():
    assert lint("--explain", "clock-time").stdout.startswith("# JUG102")
    result = lint("--explain", "JUG999")
    assert result.exit_code == 2
    assert "unknown rule 'JUG999'" in result.stderr


def test_the_command_offers_every_format():
    from jug.cli.lint import FORMATS as offered
    from jug.compiler.lint import FORMATS

    assert offered == FORMATS


# -- imports ---------------------------------------------------------------------------

@pytest.mark.parametrize("args", [["--help"], ["lint", "--help"]])
def test_help_does_not_import_libcst(args):
    code = ("import sys\nfrom jug.cli import main\ntry:\n    main(%r)\nexcept SystemExit:\n"
            "    pass\nprint('libcst' in sys.modules)\n") % (args,)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, cwd=REPO, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[-1] == "False", proc.stdout


# -- pre-commit ------------------------------------------------------------------------

def test_pre_commit_hooks_run_jug_lint_on_the_files_they_are_given(tmp_path):
    import yaml

    with open(os.path.join(REPO, ".pre-commit-hooks.yaml")) as handle:
        hooks = yaml.safe_load(handle)
    assert [hook["id"] for hook in hooks] == ["jug-lint", "jug-lint-fix"]
    for hook in hooks:
        assert set(hook) >= {"id", "name", "entry", "language"}
        assert hook["language"] == "python" and hook["types"] == ["python"]
        assert hook.get("pass_filenames", True)
    # pre-commit runs `entry` followed by the staged file names
    clean = write(tmp_path, "clean.py", CLEAN)
    dirty = write(tmp_path, "dirty.py", DIRTY)
    env = dict(os.environ, PYTHONPATH=REPO + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for hook, expected in ((hooks[0], 1), (hooks[1], 1)):
        program, *arguments = hook["entry"].split()
        assert program == "jug"
        proc = subprocess.run([sys.executable, "-c", "from jug.cli import main; main()",
                               *arguments, clean, dirty], capture_output=True, text=True,
                              env=env, cwd=tmp_path, timeout=120)
        assert proc.returncode == expected, proc.stdout + proc.stderr
    # the fix hook sorted the listing; the clock value is left for the user
    assert 'process(sorted(glob("*.txt")), seed=time.time())' in (tmp_path / "dirty.py").read_text()
