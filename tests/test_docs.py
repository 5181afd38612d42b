"""The user guide: every command and jugfile it shows is run, and the output
it shows is what jug prints (the markup: tests/docs_check.py and
docs/CONTRIBUTING-docs.md).  Also: the nav lists every page, the subcommand
page covers every command, and the link checker finds broken links."""

import glob
import os
import subprocess
import sys

import pytest
import yaml

import docs_check
from docs_check import DOCS, REPO, DocsCheckError, DocsCheckSkip, check_page, matches, parse

# Pages left out of the check while another issue writes them (only those
# may be under not_in_nav in mkdocs.yml): none now, every page is checked.
NOT_YET_CHECKED = set()

PAGES = sorted(os.path.relpath(path, DOCS)
               for path in glob.glob(os.path.join(DOCS, "**", "*.md"), recursive=True))
CHECKED_PAGES = [page for page in PAGES if page not in NOT_YET_CHECKED] + [os.path.join(os.pardir, "README.md")]


@pytest.mark.parametrize("page", CHECKED_PAGES)
def test_page_runs_as_shown(page, tmp_path, request):
    path = os.path.join(DOCS, page)
    programs = {}
    if "jug2" in docs_check.required_programs(path):
        # the original jug: skipped (or, on CI, an error) where it cannot be installed
        programs["jug2"] = request.getfixturevalue("original_jug").command()
    try:
        check_page(path, str(tmp_path), programs)
    except DocsCheckSkip as missing:
        pytest.skip(str(missing))


# -- the checker itself -------------------------------------------------------


def _page(tmp_path, text):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "page.md"
    path.write_text(text)
    work = tmp_path / "work"
    work.mkdir()
    return str(path), str(work)


FENCE = "```"


def test_elisions():
    assert matches(["a", "...", "d"], "a\nb\nc\nd\n")
    assert matches(["a", "...", "b"], "a\nb\n")
    assert matches(["took [...] s"], "took 0.03 s\n")
    assert not matches(["took [...] s"], "took 0.03 s\nand more\n")
    assert not matches(["a", "b"], "a\nc\n")
    assert matches(["a   ", ""], "a\n\n\n")  # trailing blanks and spaces do not count


def test_a_wrong_output_fails_with_a_diff(tmp_path):
    path, work = _page(tmp_path, f"{FENCE}console\n$ echo hello\nhullo\n{FENCE}\n")
    with pytest.raises(DocsCheckError, match=r"(?s)page.md:2: `echo hello`.*-hullo\n.*\+hello"):
        check_page(path, work)


def test_exit_status_and_unshown_output(tmp_path):
    for text, error in (("$ false\n", "exited 1"), ("$ false\n...\n", "exited 1"),
                        ("$ echo surprise\n", "printed something else")):
        path, work = _page(tmp_path / str(len(text)) / error[:3],
                           f"{FENCE}console\n{text}{FENCE}\n")
        with pytest.raises(DocsCheckError, match=error):
            check_page(path, work)
    # output that says what happened may come with any exit status
    path, work = _page(tmp_path / "ok", f"{FENCE}console\n$ echo oops; false\noops\n{FENCE}\n")
    assert check_page(path, work) == 1


def test_files_directories_and_environment_carry_over(tmp_path):
    path, work = _page(tmp_path, f"""
<!-- docs-check: env GREETING=hi -->
{FENCE}console
$ mkdir sub && cd sub
$ export OTHER=there
{FENCE}

{FENCE}python title="hello.py"
import os
print(os.environ["GREETING"], os.environ["OTHER"], os.path.basename(os.getcwd()))
{FENCE}

{FENCE}console
$ python hello.py
hi there sub
{FENCE}
""")
    assert check_page(path, work) == 3


def test_fences_need_a_language_and_scripts_a_title(tmp_path):
    path, work = _page(tmp_path, f"{FENCE}\nx\n{FENCE}\n")
    with pytest.raises(DocsCheckError, match="needs a language"):
        check_page(path, work)
    path, work = _page(tmp_path / "b", f"{FENCE}sh\necho hi\n{FENCE}\n")
    with pytest.raises(DocsCheckError, match="give it a title"):
        check_page(path, work)


def test_python_fragments_must_compile(tmp_path):
    path, work = _page(tmp_path, f"{FENCE}python\ndef f(:\n{FENCE}\n")
    with pytest.raises(DocsCheckError, match="does not compile"):
        check_page(path, work)


def test_skip_needs_a_reason(tmp_path):
    path, work = _page(tmp_path, f"<!-- docs-check: skip -->\n{FENCE}console\n$ false\n{FENCE}\n")
    with pytest.raises(DocsCheckError, match="say why"):
        check_page(path, work)
    path, work = _page(tmp_path / "b",
                       f"<!-- docs-check: skip needs a cluster -->\n{FENCE}console\n$ false\n"
                       f"{FENCE}\n")
    assert check_page(path, work) == 0


def test_required_programs_come_from_the_caller(tmp_path):
    text = (f"<!-- docs-check: requires greeter -->\n{FENCE}console\n$ greeter there\n"
            f"hello there\n{FENCE}\n")
    path, work = _page(tmp_path, text)
    assert docs_check.required_programs(path) == {"greeter"}
    assert check_page(path, work, {"greeter": ["echo", "hello"]}) == 1
    path, work = _page(tmp_path / "b", text)
    with pytest.raises(DocsCheckSkip, match="needs greeter"):
        check_page(path, work)


def test_append_runs_commands_with_more_arguments(tmp_path):
    assert docs_check.with_arguments("run --quick   # smoke test", "--dry-run") == \
        "run --quick --dry-run  # smoke test"
    assert docs_check.with_arguments("echo '#1' \\\n  two", "--x") == "echo '#1' \\\n  two --x"
    path, work = _page(tmp_path, f"""
<!-- docs-check: append --dry-run; it takes an hour -->
{FENCE}console
$ echo run   # the long one
run --dry-run
{FENCE}
""")
    assert check_page(path, work) == 1
    path, work = _page(tmp_path / "b", f"{FENCE}console\n$ echo run\nrun --dry-run\n{FENCE}\n")
    with pytest.raises(DocsCheckError, match="printed something else"):
        check_page(path, work)
    path, work = _page(tmp_path / "c", f"<!-- docs-check: append --dry-run -->\n"
                                       f"{FENCE}console\n$ true\n{FENCE}\n")
    with pytest.raises(DocsCheckError, match="REASON"):
        check_page(path, work)


def test_without_hides_a_program_for_one_block(tmp_path):
    path, work = _page(tmp_path, f"""
<!-- docs-check: without sh -->
{FENCE}console
$ ls / > /dev/null && jug --version > /dev/null && (command -v sh || echo no sh)
no sh
{FENCE}

{FENCE}console
$ command -v sh > /dev/null && echo sh again
sh again
{FENCE}
""")
    assert check_page(path, work) == 2


FAKE_SERVER = """\
import http.server, os, sys
class Hello(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.end_headers()
        self.wfile.write(b"hello from " + self.path.encode() + b"\\n")
    def log_message(self, *args):
        pass
port = int(os.environ["FAKE_PORT"])
server = http.server.HTTPServer(("127.0.0.1", port), Hello)
print(f"serving at http://127.0.0.1:{port}/; Ctrl-C stops it", flush=True)
if "--exit" in sys.argv:
    sys.exit(3)
try:
    server.serve_forever()
except KeyboardInterrupt:
    print("stopped")
"""

FETCH = "python -c 'import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode(), end=\"\")'"


def test_a_background_server_runs_while_the_next_blocks_are_checked(tmp_path):
    page = f"""{FENCE}python title="server.py"
{FAKE_SERVER}{FENCE}

<!-- docs-check: background 8000 FAKE_PORT -->
{FENCE}console
$ echo starting
starting
$ python server.py
serving at http://127.0.0.1:8000/; Ctrl-C stops it
{FENCE}

{FENCE}console
$ {FETCH} http://127.0.0.1:8000/status
hello from /status
$ echo the port is :8000
the port is :8000
{FENCE}

<!-- docs-check: stop -->
{FENCE}console
$ {FETCH} http://127.0.0.1:8000/status 2>&1 | tail -1
urllib.error.URLError: <urlopen error [Errno 111] Connection refused>
{FENCE}
"""
    path, work = _page(tmp_path, page)
    assert check_page(path, work) == 4
    logs = list((tmp_path / "work").glob(".server-*.log"))
    assert len(logs) == 1 and logs[0].read_text().endswith("stopped\n")

    # what it prints is compared, and must say when it is ready
    for wrong, error in (("serving at http://127.0.0.1:8000/; Ctrl-C ends it", "printed something else"),
                         ("...", "show what it prints once it is ready")):
        path, work = _page(tmp_path / error[:6],
                           page.replace("serving at http://127.0.0.1:8000/; Ctrl-C stops it", wrong))
        with pytest.raises(DocsCheckError, match=error):
            check_page(path, work)
    # one that ends before it is stopped is an error
    path, work = _page(tmp_path / "exits", page.split("<!-- docs-check: background")[0] + f"""
<!-- docs-check: background 8000 FAKE_PORT -->
{FENCE}console
$ python server.py --exit
serving at http://127.0.0.1:8000/; Ctrl-C stops it
{FENCE}
""")
    with pytest.raises(DocsCheckError, match="exited 3 before it answered"):
        check_page(path, work)


def test_a_server_is_stopped_when_the_page_fails(tmp_path):
    path, work = _page(tmp_path, f"""{FENCE}python title="server.py"
{FAKE_SERVER}{FENCE}

<!-- docs-check: background 8000 FAKE_PORT -->
{FENCE}console
$ python server.py
serving at [...]
{FENCE}

{FENCE}console
$ false
{FENCE}
""")
    with pytest.raises(DocsCheckError, match="exited 1"):
        check_page(path, work)
    log, = (tmp_path / "work").glob(".server-*.log")
    port = int(log.name.split("-")[1].split(".")[0])
    import socket

    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5)


FAKE_IPYTHON = """\
import sys
print("banner")
for n, line in enumerate(sys.stdin, 1):
    print(f"In [{n}]: ", end="", flush=True)
    if line.strip() == "exit":
        break
    result = eval(line)
    print(f"Out[{n}]: {result}\\n" if result is not None else "")
"""


def test_ipython_session_is_typed_and_compared(tmp_path):
    # IPython without a terminal prints "In [1]: Out[1]: 2": the page shows
    # the session as a terminal does.  (jug shell itself: docs/shell.md.)
    for good, out in ((True, "2"), (False, "3")):
        path, work = _page(tmp_path / str(good), f"""{FENCE}python title="fake.py"
{FAKE_IPYTHON}{FENCE}

{FENCE}console
$ python fake.py
...
In [1]: 1 + 1
Out[1]: {out}

In [2]: print("x")
x

In [3]: exit
{FENCE}
""")
        if good:
            assert check_page(path, work) == 2
        else:
            with pytest.raises(DocsCheckError, match=r"\+Out\[1\]: 2"):
                check_page(path, work)


def test_snippet_lines_are_replaced_by_the_file(tmp_path):
    path, work = _page(tmp_path, f"""{FENCE}python title="primes.py"
--8<-- "examples/primes/primes.py"
{FENCE}
""")
    check_page(path, work)
    with open(os.path.join(REPO, "examples", "primes", "primes.py")) as handle:
        assert (tmp_path / "work" / "primes.py").read_text() == handle.read()


# -- the site -------------------------------------------------------------------


def _nav_pages(nav):
    for item in nav:
        value = next(iter(item.values())) if isinstance(item, dict) else item
        if isinstance(value, list):
            yield from _nav_pages(value)
        else:
            yield value


def test_every_page_is_in_the_nav():
    with open(os.path.join(REPO, "mkdocs.yml")) as handle:
        config = yaml.safe_load(handle)
    nav = set(_nav_pages(config["nav"]))
    later = {line.strip().lstrip("/") for line in config.get("not_in_nav", "").splitlines()}
    assert later <= NOT_YET_CHECKED
    assert nav <= set(PAGES), f"the nav lists missing pages: {sorted(nav - set(PAGES))}"
    missing = set(PAGES) - nav - later
    assert not missing, f"pages missing from the nav in mkdocs.yml: {sorted(missing)}"


def test_subcommand_page_shows_every_command_help():
    sys.path.insert(0, os.path.join(DOCS, "_tools"))
    try:
        import subcommands
    finally:
        sys.path.pop(0)
    with open(os.path.join(DOCS, "subcommands.md")) as handle:
        page = handle.read()
    assert subcommands.MARKER in page
    rendered = subcommands.expand(page)
    from jug.cli import COMMANDS

    names = subcommands.command_names()
    assert {"execute", "status", "shell", "check", "invalidate"} <= set(names)
    for name in names:
        assert f"## `jug {name}`" in rendered
        assert f"Usage: jug {name} [OPTIONS]" in rendered
        assert COMMANDS[name][1] in rendered


def test_link_checker_finds_broken_links_and_anchors(tmp_path):
    site = tmp_path / "site"
    (site / "a").mkdir(parents=True)
    (site / "index.html").write_text(
        '<a href="a/">ok</a> <a href="a/#here">ok</a> <a href="#top">ok</a> <p id="top"></p>'
        '<a href="missing/">bad</a> <a href="a/#nowhere">bad anchor</a>'
        '<img src="img.png"> <a href="https://example.org/">external</a>')
    (site / "a" / "index.html").write_text('<h2 id="here">x</h2><a href="../index.html">ok</a>')
    proc = subprocess.run([sys.executable, os.path.join(DOCS, "_tools", "check_links.py"),
                           str(site)], capture_output=True, text=True)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    problems = sorted(line for line in proc.stdout.splitlines() if line.startswith("index.html"))
    assert problems == ["index.html: broken link a/#nowhere (no id 'nowhere' in a/index.html)",
                        "index.html: broken link img.png",
                        "index.html: broken link missing/"], proc.stdout


def test_readme_links_point_at_files_of_the_repository():
    # README.md is not part of the site, so check_links.py does not see it
    import re

    with open(os.path.join(REPO, "README.md")) as handle:
        targets = re.findall(r"\]\(([^)#\s]+)", handle.read())
    local = [target for target in targets if "://" not in target]
    assert len(local) > 10
    missing = [target for target in local if not os.path.exists(os.path.join(REPO, target))]
    assert not missing, f"README.md links to missing files: {missing}"
