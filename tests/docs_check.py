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
  ``<!-- docs-check: append ARGS; REASON -->`` runs every command of the
  next console block with ARGS appended (before a trailing ``# comment``):
  for commands that take minutes, run with ``--dry-run`` (what they print
  then is compared).
  ``<!-- docs-check: without PROGRAM... -->`` runs the next console block
  with a ``PATH`` on which the PROGRAMs are not found (``dot``: a machine
  without Graphviz).
  ``<!-- docs-check: background PORT ENVVAR -->``: the last command of the
  next console block is a server that runs until Ctrl-C.  It is started in
  the background with ENVVAR set to a free port, the check waits until it
  has printed what the block shows below it and answers HTTP requests on
  the port, and it runs while the blocks that follow are checked, until
  ``<!-- docs-check: stop -->``, the next server or the end of the page;
  then it gets SIGINT (Ctrl-C) and must exit 0.  Meanwhile ``:PORT`` in
  commands means the free port, and the free port in what commands print
  is shown as ``:PORT``.

Every page starts in a fresh temporary directory holding a copy of the
repository's ``examples/`` and ``benchmarks/`` (so ``cd examples/primes``
and ``python benchmarks/run.py`` work as in a checkout), with ``HOME``
pointing to an empty directory (no personal jugrc), ``COLUMNS=80``, and
``jug``/``python`` on ``PATH`` being this checkout's jug and the interpreter
running the tests.
"""

import dataclasses
import difflib
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time

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
SERVER_START_TIMEOUT = 60  # seconds for a background server to print what the page shows
SERVER_STOP_TIMEOUT = 20  # seconds for it to exit after SIGINT


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
    command: str  # as shown
    expected: list  # lines shown below the command
    run: str = None  # what is run, when not what is shown (an `append` directive)


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
        self.server = None  # the background server running, if any (Server)

    def run(self, command, stdin=None):
        """Run ``command`` in bash; returns (exit code, stdout+stderr)."""
        state = os.path.join(self.workdir, ".state")
        script = (f"cd {shlex.quote(self.cwd)} || exit 97\n{self.actual(command)}\nstatus=$?\n"
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
        return proc.returncode, self.shown(proc.stdout)

    def actual(self, command):
        """``command`` with the port the page shows replaced by the server's."""
        if self.server is None:
            return command
        return command.replace(f":{self.server.shown_port}", f":{self.server.port}")

    def shown(self, output):
        """``output`` with the server's port replaced by the one the page shows."""
        if self.server is None:
            return output
        return re.sub(rf":{self.server.port}\b", f":{self.server.shown_port}", output)

    def start_server(self, block, command, shown_port, variable):
        """Start ``command`` in the background with ``variable`` set to a free
        port; returns once it printed what the page shows (or raises)."""
        self.stop_server()
        self.server = Server(block, command, shown_port, variable, self)
        self.server.start()

    def stop_server(self, check=True):
        """Ctrl-C the background server; it must exit 0 (when ``check``)."""
        server, self.server = self.server, None
        if server is not None:
            server.stop(check)


def free_port():
    """A TCP port nothing listens on now, on any address."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("", 0))
        return probe.getsockname()[1]


class Server:
    """A page's command that runs until Ctrl-C (``jug webstatus``), run in
    the background in its own process group; its output goes to a file."""

    def __init__(self, block, command, shown_port, variable, session):
        self.block = block
        self.command = command
        self.shown_port = shown_port
        self.variable = variable
        self.session = session
        self.port = free_port()
        self.log = os.path.join(session.workdir, f".server-{self.port}.log")
        self.process = None

    @property
    def where(self):
        return f"{os.path.relpath(self.block.path, REPO)}:{self.command.line}"

    def output(self):
        with open(self.log, encoding="utf-8", errors="replace") as handle:
            return re.sub(rf":{self.port}\b", f":{self.shown_port}", handle.read())

    def start(self):
        env = dict(self.session.env, **{self.variable: str(self.port)})
        script = f"cd {shlex.quote(self.session.cwd)} || exit 97\n{self.command.command}\n"
        with open(self.log, "w") as log:
            self.process = subprocess.Popen(["bash", "-c", script], env=env, stdin=subprocess.DEVNULL,
                                            stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        shown = sum(1 for line in self.command.expected if line.strip() and line.strip() != "...")
        last, since = None, time.monotonic()
        while True:
            status = self.process.poll()  # before reading: what it printed before it exited counts
            output = self.output()
            if matches(self.command.expected, output):
                break
            if output != last:
                last, since = output, time.monotonic()
            # a mismatch: it printed as many lines as shown, then nothing for 3 s
            settled = output.count("\n") >= shown and time.monotonic() - since > 3
            if status is not None or settled or time.monotonic() > deadline:
                what = (f"exited {status}" if status is not None else
                        "printed something else" if settled else
                        f"did not print it within {SERVER_START_TIMEOUT} s")
                self.kill()
                raise DocsCheckError(f"{self.where}: `{self.command.command}` (a server) {what}; "
                                     f"it printed:\n{_diff(self.command.expected, self.output())}")
            time.sleep(0.1)
        while not self.answers():
            status = self.process.poll()
            if status is not None or time.monotonic() > deadline:
                self.kill()
                what = f"exited {status} before it answered" if status is not None else \
                    "does not answer"
                raise DocsCheckError(f"{self.where}: `{self.command.command}` (a server) printed "
                                     f"what the page shows, but {what} on port {self.port}:\n"
                                     f"{self.output()}")
            time.sleep(0.1)

    def answers(self):
        """Does it answer an HTTP request (whatever the status)?"""
        import urllib.error
        import urllib.request

        try:
            urllib.request.urlopen(f"http://127.0.0.1:{self.port}/", timeout=5).close()
        except urllib.error.HTTPError:
            return True
        except (OSError, ValueError):
            return False
        return True

    def stop(self, check=True):
        """SIGINT to its process group, as Ctrl-C in a terminal does."""
        status = self.process.poll()
        if status is not None:
            if check:
                raise DocsCheckError(f"{self.where}: `{self.command.command}` (a server) exited "
                                     f"{status} before it was stopped:\n{self.output()}")
            return
        try:
            os.killpg(self.process.pid, signal.SIGINT)
        except ProcessLookupError:
            pass
        try:
            status = self.process.wait(timeout=SERVER_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.kill()
            if check:
                raise DocsCheckError(f"{self.where}: `{self.command.command}` did not stop within "
                                     f"{SERVER_STOP_TIMEOUT} s of Ctrl-C:\n{self.output()}") from None
            return
        if check and status != 0:
            raise DocsCheckError(f"{self.where}: `{self.command.command}` exited {status} on "
                                 f"Ctrl-C:\n{self.output()}")

    def kill(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait()


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


def copy_trees(workdir):
    """Copy the repository's examples/ and benchmarks/ into ``workdir``,
    without what runs left in them (stores, outputs, caches, results)."""
    shutil.copytree(os.path.join(REPO, "examples"), os.path.join(workdir, "examples"),
                    ignore=ignore_example_outputs)
    shutil.copytree(os.path.join(REPO, "benchmarks"), os.path.join(workdir, "benchmarks"),
                    ignore=shutil.ignore_patterns(".cache", "results", "__pycache__"))


def check_page(path, workdir, programs=None, show=False):
    """Run every block of the page at ``path`` in ``workdir``; raises
    :class:`DocsCheckError` at the first block that does not do what it shows.
    Returns the number of blocks checked.  ``programs`` maps names to commands
    (lists) put on the page's ``PATH`` (``jug2``: the original jug).  With
    ``show``, nothing is compared: what each command prints is printed."""
    copy_trees(workdir)
    session = Session(workdir, programs)
    pending = None  # the directive that applies to the next block
    checked = 0
    try:
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
                    pending = block
                elif verb == "append":
                    arguments, _, reason = rest.partition(";")
                    if not arguments.strip() or not reason.strip():
                        raise DocsCheckError(f"{block.where}: write `append ARGS; REASON` (why "
                                             "the commands do not run as shown)")
                    pending = block
                elif verb == "background":
                    words = rest.split()
                    if len(words) != 2 or not words[0].isdigit():
                        raise DocsCheckError(f"{block.where}: write `background PORT ENVVAR` (the "
                                             "port the page shows, the variable that sets it)")
                    pending = block
                elif verb == "without":
                    if not rest.split():
                        raise DocsCheckError(f"{block.where}: write `without PROGRAM...`")
                    pending = block
                elif verb == "stop":
                    session.stop_server(check=not show)
                else:
                    raise DocsCheckError(f"{block.where}: unknown docs-check directive {verb!r}")
                continue
            directive, pending = (pending.directive if pending else ("", "")), None
            if directive[0] == "skip":
                continue
            if directive[0] and block.language != "console":
                raise DocsCheckError(f"{block.where}: `{directive[0]}` applies to a console block")
            checked += check_block(block, session, directive, show)
        session.stop_server(check=not show)
    finally:
        session.stop_server(check=False)
    return checked


def check_block(block, session, directive=("", ""), show=False):
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
        verb, rest = directive
        commands = console_commands(block)
        if verb == "append":
            arguments = rest.partition(";")[0].strip()
            commands = [dataclasses.replace(command, run=with_arguments(command.command, arguments))
                        for command in commands]
        server = commands.pop() if verb == "background" else None
        path = session.env["PATH"]
        if verb == "without":
            session.env["PATH"] = path_without(rest.split(), path, session.workdir)
        try:
            for command in commands:
                check_command(block, command, session, show)
        finally:
            session.env["PATH"] = path
        if server is not None:
            shown_port, variable = rest.split()
            if not any(line.strip() and line.strip() != "..." for line in server.expected):
                raise DocsCheckError(f"{block.where}: a server started in the background must "
                                     "show what it prints once it is ready (the check waits for it)")
            if show:
                server = dataclasses.replace(server, expected=["..."])
            session.start_server(block, server, shown_port, variable)
            if show:
                time.sleep(2)
                print(f"$ {server.command}   [a server on port {session.server.port}]\n"
                      f"{session.server.output()}")
        return 1
    return 0


def path_without(programs, path, workdir):
    """A ``PATH`` on which the commands of ``path`` are found but ``programs``
    are not: one directory of links to all the others."""
    target = os.path.join(workdir, ".without-" + "-".join(programs))
    if not os.path.isdir(target):
        os.makedirs(target)
        for directory in path.split(os.pathsep):
            try:
                names = os.listdir(directory)
            except OSError:
                continue
            for name in names:
                source = os.path.join(directory, name)
                link = os.path.join(target, name)
                if (name not in programs and not os.path.lexists(link)
                        and os.path.isfile(source) and os.access(source, os.X_OK)):
                    os.symlink(source, link)
    return target


def with_arguments(command, arguments):
    """``command`` with ``arguments`` added to its end, before a trailing
    ``# comment`` (a ``#`` that starts a word outside quotes)."""
    head, _, last = command.rpartition("\n")
    quote = None
    for i, char in enumerate(last):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or last[i - 1].isspace()):
            code, comment = last[:i].rstrip(), "  " + last[i:]
            break
    else:
        code, comment = last.rstrip(), ""
    return (head + "\n" if head else "") + f"{code} {arguments}{comment}"


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


def _diff(expected, output):
    """A diff of what a page shows against what was printed."""
    printed = output.rstrip("\n").splitlines()
    diff = "\n".join(difflib.unified_diff(
        _shown_as_printed(expected, printed), printed, "shown in the docs", "printed", lineterm=""))
    return textwrap.indent(diff, "    ")


def check_command(block, command, session, show=False):
    """Run one command; its output must look like what is shown below it.
    No output shown: it must print nothing and exit 0.  Output shown only as
    ``...``: it must exit 0.  Real lines shown: they are compared, and the
    exit status may be anything (the output says what happened).  With
    ``show``, print what it printed instead."""
    where = f"{os.path.relpath(block.path, REPO)}:{command.line}"
    stdin, expected = ipython_session(command.expected)
    status, output = session.run(command.run or command.command, stdin)
    if show:
        ran = f"   [run as: {command.run}]" if command.run else ""
        print(f"$ {command.command}{ran}\n{output}[exit {status}]\n")
        return
    shown = [line for line in expected if line.strip()]
    if all(line.strip() == "..." for line in shown) and status != 0:
        raise DocsCheckError(f"{where}: `{command.command}` exited {status}; the page shows no "
                             f"output that says so:\n{output}")
    actual = ipython_transcript(output) if stdin is not None else output
    if not matches(expected, actual):
        ran = f" (run as `{command.run}`)" if command.run else ""
        raise DocsCheckError(f"{where}: `{command.command}`{ran} (exit {status}) printed something "
                             f"else than the page shows:\n{_diff(expected, actual)}")


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
        check_page(path, workdir, original_programs(path), show=True)


if __name__ == "__main__":
    show_outputs(sys.argv[1])
