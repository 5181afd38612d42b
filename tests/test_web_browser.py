"""The ``jug webstatus`` page in headless Chromium (tests/chromium.py): after
its scripts ran, the rendered DOM shows the counts of ``jug status --json``
and the failure with its error, and clicking a group of the task graph
filters the tables."""

import json

import pytest

pytest.importorskip("starlette", reason="the web extra is not installed: pip install -e '.[web]'")

from chromium import INSTALL_HINT, Chromium, chromium_binary  # noqa: E402
from jugtest import run_jug, write  # noqa: E402
from test_status import JUGFILE, validate  # noqa: E402
from webserver import WebStatus  # noqa: E402

pytestmark = pytest.mark.skipif(chromium_binary() is None, reason=INSTALL_HINT)

STATES = ("waiting", "ready", "running", "stale", "finished", "failed")

READ_NAMES = """JSON.stringify([...document.querySelectorAll('#names tbody tr[data-name]')].map(
    row => [row.dataset.name, Object.fromEntries([...row.querySelectorAll('td[data-state]')].map(
        cell => [cell.dataset.state, Number(cell.textContent)]))]))"""
READ_TOTALS = """JSON.stringify(Object.fromEntries([...document.querySelectorAll('#totals li')].map(
    item => [item.dataset.state, Number(item.querySelector('b').textContent)])))"""
READ_FAILED = """JSON.stringify([...document.querySelectorAll('#failed tbody tr')].map(
    row => [row.querySelector('td.name').textContent, row.querySelector('td.error').textContent]))"""
GROUP_CENTRE = """(() => {
    for (const node of document.querySelectorAll('#graph g.node')) {
        const title = node.querySelector('title').textContent.trim();
        const text = [...node.querySelectorAll('text')].map(t => t.textContent).join(' ');
        if (text.startsWith(%s)) {
            node.scrollIntoView({block: 'center'});
            const box = node.getBoundingClientRect();
            return JSON.stringify([box.left + box.width / 2, box.top + box.height / 2, title]);
        }
    }
    return null;
})()"""


@pytest.fixture
def served(tmp_path):
    write(tmp_path / "jugfile.py", JUGFILE)
    run_jug("execute", "jugfile.py", "--will-cite", "--keep-going", "--keep-failed",
            cwd=tmp_path, check=1)
    with WebStatus("jugfile.py", cwd=tmp_path, refresh=0.3) as server:
        yield tmp_path, server


def test_the_page_shows_the_status_and_a_click_on_the_graph_filters(served):
    cwd, server = served
    expected = validate(json.loads(run_jug("status", "jugfile.py", "--json", cwd=cwd,
                                           check=1).stdout))
    with Chromium(width=1280, height=1000) as browser:
        browser.open(server.url)
        browser.wait_for("document.body.dataset.version")
        browser.wait_for("document.querySelectorAll('#graph g.node').length === 3")

        names = dict(json.loads(browser.evaluate(READ_NAMES)))
        assert names == {row["name"]: {**{state: row[state] for state in STATES},
                                       "tasks": row["tasks"]}
                         for row in expected["names"]}
        totals = json.loads(browser.evaluate(READ_TOTALS))
        assert totals == expected["totals"]
        assert browser.evaluate("document.getElementById('connection').dataset.state") == "live"

        failed = json.loads(browser.evaluate(READ_FAILED))
        assert failed == [["jugfile.boom", "ValueError: bad input 3"]]
        assert "jug cleanup --failed-only" in browser.evaluate(
            "document.getElementById('failed-hint').hidden ? '' : "
            "document.getElementById('failed-hint').textContent")

        x, y, node_id = json.loads(browser.wait_for(GROUP_CENTRE % json.dumps("jugfile.square")))
        browser.click(x, y)
        browser.wait_for("document.body.dataset.filter === 'jugfile.square'")
        names = dict(json.loads(browser.evaluate(READ_NAMES)))
        assert list(names) == ["jugfile.square"]
        assert names["jugfile.square"]["finished"] == 10
        assert json.loads(browser.evaluate(READ_FAILED)) == []  # boom's failure is filtered out
        assert browser.evaluate("!document.getElementById('failed-empty').hidden")
        assert browser.evaluate("document.getElementById('filter').hidden") is False
        assert "jugfile.square" in browser.evaluate(
            "document.getElementById('filter-name').textContent")
        selected = browser.evaluate("[...document.querySelectorAll('#graph g.node.selected')]"
                                    ".map(n => n.querySelector('title').textContent.trim())")
        assert selected == [node_id]

        # the filter survives the next refreshes; a second click shows everything again
        version = int(browser.evaluate("document.body.dataset.version"))
        browser.wait_for(f"Number(document.body.dataset.version) > {version}")
        assert list(dict(json.loads(browser.evaluate(READ_NAMES)))) == ["jugfile.square"]
        x, y, _ = json.loads(browser.evaluate(GROUP_CENTRE % json.dumps("jugfile.square")))
        browser.click(x, y)
        browser.wait_for("document.body.dataset.filter === ''")
        assert len(json.loads(browser.evaluate(READ_NAMES))) == 3
        assert len(json.loads(browser.evaluate(READ_FAILED))) == 1

        png = browser.screenshot()
        assert png.startswith(b"\x89PNG") and len(png) > 10_000


def test_the_page_follows_a_run_without_reload(tmp_path):
    """The page is loaded once, before any task ran; it ends all finished."""
    write(tmp_path / "jugfile.py", JUGFILE.replace("boom(3)", ""))
    with WebStatus("jugfile.py", cwd=tmp_path, refresh=0.2) as server:
        with Chromium() as browser:
            browser.open(server.url)
            browser.wait_for("document.body.dataset.version")
            before = json.loads(browser.evaluate(READ_TOTALS))
            assert before["finished"] == 0 and before["tasks"] == 11
            browser.evaluate("window.__loaded = performance.timeOrigin")
            run_jug("execute", "jugfile.py", "--will-cite", cwd=tmp_path, check=0)
            browser.wait_for(
                "document.querySelector('#totals li[data-state=finished] b').textContent === '11'")
            assert browser.evaluate("window.__loaded === performance.timeOrigin")  # no reload
            assert "All tasks are finished" in browser.evaluate(
                "document.getElementById('eta').textContent")
