"""The docs check: run the code blocks of a guide page and compare outputs.

The markup is described for writers in docs/CONTRIBUTING-docs.md; in short:

* ```` ```console ```` blocks hold commands after a ``$ `` prompt (a line
  ending in ``\\`` continues on the next one) and, below each command, the
  output it prints (stdout and stderr together).  Each command runs in bash,
  in the page's working directory; ``cd`` and ``export`` carry over to the
  next command.  A command must print what is shown below it: nothing if
  nothing is shown.  Its exit status must be 0 unless the output shown
  (other than elisions) says what happened, e.g. ``jug status`` exiting 1
  below its table.
* Elisions: a line that is just ``...`` stands for any number of lines
  (none too); ``[...]`` inside a line stands for any text on that line.
* An IPython session (``jug shell``) is written as the terminal shows it:
  ``In [1]: code`` lines are typed into the command, ``Out[1]: ...`` lines
  are compared; blank lines in a session do not matter.
* A block with ``title="NAME"`` (any language) is a file: it is written to
  NAME in the working directory when the page reaches it.  A line
  ``--8<-- "PATH"`` in it is replaced by the repository file PATH, as the
  site build does (pymdownx.snippets).
* ```` ```python ```` blocks without a title are fragments: they must compile.
* ``sh``/``bash``/``shell`` blocks need a title (they are scripts), and a
  fence with no language at all is refused: say what the block is.
* Other languages (``text``, ``ini``, ``dot``, ``json``...) are shown as is.
* Hidden directives, HTML comments on their own line:
  ``<!-- docs-check: env NAME=VALUE ... -->`` sets environment variables for
  the commands that follow (to shrink sleeps: only what does not change the
  output); ``<!-- docs-check: skip REASON -->`` leaves the next block out;
  ``<!-- docs-check: requires PROGRAM... -->`` skips the rest of the page
  (the test is reported as skipped) where a program is missing.  ``jug2``
  is the original jug 2.7.0 (from the oracle's venv, tests/oracle.py): a
  page that requires it gets it on ``PATH`` under that name.

Every page starts in a fresh temporary directory holding a copy of the
repository's ``examples/`` (so ``cd examples/primes`` works as in a
checkout), with ``HOME`` pointing to an empty directory (no personal jugrc),
``COLUMNS=80``, and ``jug``/``python`` on ``PATH`` being this checkout's jug
and the interpreter running the tests.
"""

import dataclasses
import difflib
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap

from jugtest import ignore_example_outputs

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DOCS = os.path.join(REPO, "docs")

FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})\s*(?P<info>.*)$")
TITLE = re.compile(r'title="(?P<title>[^"]+)"')
DIRECTIVE = re.compile(r"^\s*<!--\s*docs-check:\s*(?P<verb>\w+)\s*(?P<rest>.*?)\s*-->\s*$")
SNIPPET = re.compile(r'^\s*--8<--\s+"(?P<path>[^"]+)"\s*$')
IPYTHON_IN = re.compile(r"^In \[\d+\]: ?(?P<code>.*)$")
SCRIPT_LANGUAGES = {"sh", "bash", "shell", "zsh"}
COMMAND_TIMEOUT = 300


class DocsCheckError(AssertionError):
    """A block of a page does not do what the page says."""


class DocsCheckSkip(Exception):
    """The page needs a program this machine does not have."""


@dataclasses.dataclass(frozen=True)
class Block:
    """One fenced block of a page, or a directive (``language`` None)."""

    path: str
    line: int  # 1-based line of the opening fence (or of the directive)
    language: str | None
    title: str | None
    text: str
    directive: tuple = ()

    @property
    def where(self):
        return f"{os.path.relpath(self.path, REPO)}:{self.line}"


def parse(path):
    """The fenced blocks and docs-check directives of a Markdown page, in order."""
    with open(path, encoding="utf-8") as handle:
        lines = handle.read().splitlines()
    blocks = []
    i = 0
    while i < len(lines):
        directive = DIRECTIVE.match(lines[i])
        if directive:
            blocks.append(Block(path, i + 1, None, None, "",
                                (directive["verb"], directive["rest"])))
            i += 1
            continue
        fence = FENCE.match(lines[i])
        if not fence:
            i += 1
            continue
        indent, marker, info = fence["indent"], fence["fence"], fence["info"].strip()
        body = []
        j = i + 1
        while j < len(lines):
            closing = lines[j].strip()
            if closing.startswith(marker[0] * len(marker)) and not closing.strip(marker[0]):
                break
            body.append(lines[j][len(indent):] if lines[j].startswith(indent) else lines[j])
            j += 1
        if j == len(lines):
            raise DocsCheckError(f"{os.path.relpath(path, REPO)}:{i + 1}: unclosed code fence")
        language = info.split()[0].lstrip("{.").rstrip("}") if info else ""
        title = TITLE.search(info)
        blocks.append(Block(path, i + 1, language, title["title"] if title else None,
                            "\n".join(body) + "\n"))
        i = j + 1
    return blocks


@dataclasses.dataclass
class Command:
    line: int
    command: str
    expected: list  # lines shown below the command


def console_commands(block):
    """The ``$ `` commands of a console block with the output shown below each."""
    commands = []
    pending = None  # a command continued with a trailing backslash
    for offset, line in enumerate(block.text.splitlines()):
        if pending is not None:
            pending.command += "\n" + line
            if not line.endswith("\\"):
                pending = None
            continue
        if line.startswith("$ ") or line == "$":
            command = Command(block.line + 1 + offset, line[2:], [])
            commands.append(command)
            if line.endswith("\\"):
                pending = command
        elif not commands:
            raise DocsCheckError(f"{block.where}: a console block starts with a `$ ` command, "
                                 f"not {line!r}")
        else:
            commands[-1].expected.append(line)
    return commands


def output_pattern(expected):
    """A regex matching the output ``expected`` describes (with elisions)."""
    parts = []
    for line in expected:
        if line.strip() == "...":
            parts.append(r"(?:[^\n]*\n)*?")
        else:
            pieces = line.rstrip().split("[...]")
            parts.append("[^\n]*?".join(re.escape(piece) for piece in pieces) + r"\n")
    return re.compile("".join(parts))


def matches(expected, actual):
    """Does ``actual`` (a string) look like ``expected`` (shown lines)?"""
    text = "".join(line.rstrip() + "\n" for line in actual.splitlines())
    text = text.rstrip("\n") + "\n" if text.strip() else ""
    shown = list(expected)
    while shown and not shown[-1].strip():
        shown.pop()
    return output_pattern(shown).fullmatch(text) is not None


def ipython_session(expected):
    """(the code typed, expected lines with the typed code taken out) for a
    session shown with ``In [N]: code`` prompts; (None, expected) otherwise."""
    typed = [IPYTHON_IN.match(line) for line in expected]
    if not any(typed):
        return None, expected
    stdin = "".join(m["code"] + "\n" for m in typed if m)
    shown = []
    for line, match in zip(expected, typed):
        if match:
            shown.append(line[:match.start("code")].rstrip())
        elif line.strip():
            shown.append(line)
    return stdin, shown


def ipython_transcript(actual):
    """IPython's output without a terminal, one prompt per line, no blanks:
    ``In [1]: Out[1]: 25`` becomes ``In [1]:`` and ``Out[1]: 25``."""
    lines = []
    for line in actual.splitlines():
        while True:
            match = re.match(r"^(In \[\d+\]:) ?(.*)$", line)
            if not match:
                break
            lines.append(match[1])
            line = match[2]
        if line.strip():
            lines.append(line)
    return "\n".join(lines) + "\n"


class Session:
    """The shell state a page's commands share: directory and environment."""

    def __init__(self, workdir, programs=None):
        self.workdir = workdir
        self.cwd = workdir
        home = os.path.join(workdir, ".home")
        bindir = os.path.join(workdir, ".bin")
        os.makedirs(home)
        os.makedirs(bindir)
        write_jug_shim(os.path.join(bindir, "jug"))
        for name in ("python", "python3"):
            os.symlink(sys.executable, os.path.join(bindir, name))
        for name, command in (programs or {}).items():
            # run with the environment of the host, not with this jug importable
            _write_executable(os.path.join(bindir, name),
                              f"#!/bin/sh\nunset PYTHONPATH\nexec {shlex.join(command)} \"$@\"\n")
        env = {key: value for key, value in os.environ.items()
               if not key.startswith(("JUG_", "PYTEST_", "COV_"))}
        env.update(PATH=bindir + os.pathsep + env.get("PATH", ""), HOME=home, COLUMNS="80",
                   LINES="25", TERM="dumb", NO_COLOR="1", PYTHONHASHSEED="0",
                   # stdout and stderr reach the pipe in the order they are
                   # written, as on a terminal (not stdout's buffer at exit)
                   PYTHONUNBUFFERED="1",
                   PYTHONPATH=REPO + os.pathsep + env.get("PYTHONPATH", ""),
                   PYTHONDONTWRITEBYTECODE="1")
        self.env = env

    def run(self, command, stdin=None):
        """Run ``command`` in bash; returns (exit code, stdout+stderr)."""
        state = os.path.join(self.workdir, ".state")
        script = (f"cd {shlex.quote(self.cwd)} || exit 97\n{command}\nstatus=$?\n"
                  f"{{ pwd; env -0; }} > {shlex.quote(state)}\nexit $status\n")
        proc = subprocess.run(["bash", "-c", script], env=self.env, input=stdin or "",
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                              timeout=COMMAND_TIMEOUT)
        if os.path.exists(state):
            with open(state, encoding="utf-8", errors="replace") as handle:
                cwd, _, env = handle.read().partition("\n")
            os.remove(state)
            self.cwd = cwd
            self.env = dict(item.split("=", 1) for item in env.split("\0") if "=" in item)
            for name in ("PWD", "OLDPWD", "SHLVL", "_"):
                self.env.pop(name, None)
        return proc.returncode, proc.stdout


def write_jug_shim(path):
    """An executable ``jug`` at ``path`` running this checkout's jug with the
    interpreter running the tests (whatever ``jug`` is installed)."""
    _write_executable(path, f"#!{sys.executable}\nimport sys\nsys.path.insert(0, {REPO!r})\n"
                            "from jug.cli import main\nsys.exit(main())\n")


def _write_executable(path, text):
    with open(path, "w") as handle:
        handle.write(text)
    os.chmod(path, 0o755)


def _file_text(block):
    """A titled block's content, with snippet lines replaced by the files."""
    out = []
    for line in block.text.splitlines(keepends=True):
        snippet = SNIPPET.match(line)
        if snippet:
            with open(os.path.join(REPO, snippet["path"]), encoding="utf-8") as handle:
                out.append(handle.read())
        else:
            out.append(line)
    return "".join(out)


def required_programs(path):
    """The programs the ``requires`` directives of the page at ``path`` name."""
    return {program for block in parse(path) if block.directive[:1] == ("requires",)
            for program in block.directive[1].split()}


def check_page(path, workdir, programs=None):
    """Run every block of the page at ``path`` in ``workdir``; raises
    :class:`DocsCheckError` at the first block that does not do what it shows.
    Returns the number of blocks checked.  ``programs`` maps names to commands
    (lists) put on the page's ``PATH`` (``jug2``: the original jug)."""
    shutil.copytree(os.path.join(REPO, "examples"), os.path.join(workdir, "examples"),
                    ignore=ignore_example_outputs)
    session = Session(workdir, programs)
    skip_next = False
    checked = 0
    for block in parse(path):
        if block.language is None:
            verb, rest = block.directive
            if verb == "env":
                for assignment in shlex.split(rest):
                    name, _, value = assignment.partition("=")
                    session.env[name] = value
            elif verb == "requires":
                missing = [program for program in rest.split()
                           if shutil.which(program, path=session.env["PATH"]) is None]
                if missing:
                    raise DocsCheckSkip(f"{block.where}: needs {', '.join(missing)}")
            elif verb == "skip":
                if not rest:
                    raise DocsCheckError(f"{block.where}: say why the block is skipped")
                skip_next = True
            else:
                raise DocsCheckError(f"{block.where}: unknown docs-check directive {verb!r}")
            continue
        if skip_next:
            skip_next = False
            continue
        checked += check_block(block, session)
    return checked


def check_block(block, session):
    if block.title is not None:
        target = os.path.join(session.cwd, block.title)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as handle:
            handle.write(_file_text(block))
        if block.language in SCRIPT_LANGUAGES:
            os.chmod(target, 0o755)
        return 1
    if block.language == "":
        raise DocsCheckError(f"{block.where}: a code fence needs a language (console, python, "
                             "text, ini, ...)")
    if block.language in SCRIPT_LANGUAGES:
        raise DocsCheckError(f"{block.where}: a {block.language} block is a script: give it a "
                             "title=\"NAME\" (it is written there), or show commands in a "
                             "console block with $ prompts")
    if block.language == "python":
        try:
            compile(block.text, block.where, "exec")
        except SyntaxError as error:
            raise DocsCheckError(f"{block.where}: this Python fragment does not compile: "
                                 f"{error}") from None
        return 1
    if block.language == "console":
        for command in console_commands(block):
            check_command(block, command, session)
        return 1
    return 0


def _shown_as_printed(expected, printed):
    """``expected`` with each ``[...]`` line replaced by the printed line it
    matches (if any), so that a diff shows only the lines that differ."""
    shown = []
    for line in (line.rstrip() for line in expected):
        if "[...]" in line:
            pattern = output_pattern([line])
            line = next((p for p in printed if pattern.fullmatch(p.rstrip() + "\n")), line)
        shown.append(line)
    return shown


def check_command(block, command, session):
    """Run one command; its output must look like what is shown below it.
    No output shown: it must print nothing and exit 0.  Output shown only as
    ``...``: it must exit 0.  Real lines shown: they are compared, and the
    exit status may be anything (the output says what happened)."""
    where = f"{os.path.relpath(block.path, REPO)}:{command.line}"
    stdin, expected = ipython_session(command.expected)
    status, output = session.run(command.command, stdin)
    shown = [line for line in expected if line.strip()]
    if all(line.strip() == "..." for line in shown) and status != 0:
        raise DocsCheckError(f"{where}: `{command.command}` exited {status}; the page shows no "
                             f"output that says so:\n{output}")
    actual = ipython_transcript(output) if stdin is not None else output
    if not matches(expected, actual):
        printed = actual.rstrip("\n").splitlines()
        diff = "\n".join(difflib.unified_diff(
            _shown_as_printed(expected, printed), printed, "shown in the docs", "printed",
            lineterm=""))
        raise DocsCheckError(f"{where}: `{command.command}` (exit {status}) printed something "
                             f"else than the page shows:\n{textwrap.indent(diff, '    ')}")


def original_programs(path):
    """``{"jug2": command}`` when the page requires the original jug (which
    is installed into the oracle's cached venv if it is not yet there)."""
    if "jug2" not in required_programs(path):
        return {}
    from oracle import ensure_original, original_implementation

    return {"jug2": original_implementation(ensure_original()).command()}


def show_outputs(path):
    """Run the page at ``path`` and print what each command really prints
    (for writers: ``python tests/docs_check.py docs/PAGE.md``)."""
    import tempfile

    with tempfile.TemporaryDirectory() as workdir:
        shutil.copytree(os.path.join(REPO, "examples"), os.path.join(workdir, "examples"),
                        ignore=ignore_example_outputs)
        session = Session(workdir, original_programs(path))
        skip_next = False
        for block in parse(path):
            if block.language is None:
                verb, rest = block.directive
                if verb == "env":
                    session.env.update(item.split("=", 1) for item in shlex.split(rest))
                skip_next = verb == "skip"
            elif skip_next:
                skip_next = False
            elif block.title is not None:
                check_block(block, session)
            elif block.language == "console":
                for command in console_commands(block):
                    stdin, _ = ipython_session(command.expected)
                    status, output = session.run(command.command, stdin)
                    print(f"$ {command.command}\n{output}[exit {status}]\n")


if __name__ == "__main__":
    show_outputs(sys.argv[1])
