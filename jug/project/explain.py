"""``jug compile --explain``: everything a manifest depends on, and what
differs now.

:func:`explain_command` finds the stored manifest the next command would try
for this environment (tracing only when nothing is stored, or when the last
trace of this environment was volatile), then builds one :class:`Section`
per kind of dependency with the functions of :data:`SECTIONS`, in order:
versions and arguments, files and directories read, stat questions,
environment variables, store answers, volatility, and what a worker
replays (or why it runs the top level).  A section function takes
the :class:`Subject` and returns a Section or None (nothing to say); other
kinds of dependency are explained by adding a function to the list.
"""

import dataclasses
import json
import sys


@dataclasses.dataclass(frozen=True)
class Item:
    """One dependency: ``what`` (and the jugfile line that made it,
    ``where``), the answer ``recorded`` in the manifest, and, when it
    ``differs`` now, ``now``."""

    what: str
    recorded: str
    where: str = ""
    now: str | None = None
    differs: bool = False

    def to_json(self):
        return dataclasses.asdict(self)


@dataclasses.dataclass(frozen=True)
class Section:
    key: str
    title: str
    items: tuple
    note: str | None = None

    def to_json(self):
        return {"key": self.key, "title": self.title, "note": self.note,
                "items": [item.to_json() for item in self.items]}


@dataclasses.dataclass(frozen=True)
class Subject:
    """What is explained: a manifest, the store it lives in, the arguments
    of this command, and whether it was traced just now."""

    manifest: object
    store: object
    argv: tuple
    traced_now: bool = False


def versions_section(subject):
    from jug.compiler.freshness import PYTHON_VERSION
    from jug.version import __version__

    header = subject.manifest.header
    items = []
    for what, recorded, now in (("jug", header.jug_version, __version__),
                                ("Python", header.python, PYTHON_VERSION),
                                ("arguments (sys.argv)", repr(list(header.argv)),
                                 repr(list(subject.argv)))):
        differs = recorded != now
        items.append(Item(what, recorded, now=now if differs else None, differs=differs))
    return Section("versions", "Versions and arguments", tuple(items))


def _recorded_input(state):
    if state.size == -1:
        return "absent"
    if state.kind == "dir":
        return f"listing of {state.size} entr{'y' if state.size == 1 else 'ies'}"
    return f"content {state.digest[:12] or '(changed while the jugfile ran)'}"


def inputs_section(subject):
    items = []
    for state in subject.manifest.header.inputs:
        difference = state.difference()
        items.append(Item(state.label(), _recorded_input(state), state.where, difference,
                          difference is not None))
    return Section("inputs", "Files and directories read", tuple(items))


def stats_section(subject):
    stats = subject.manifest.header.stats
    if not stats:
        return None
    items = []
    for query in stats:
        recorded = ", ".join(f"{aspect}: {value}" for aspect, value in query.answers)
        difference = query.difference()
        items.append(Item(query.label(), recorded, query.where, difference,
                          difference is not None))
    return Section("stats", "Questions about paths (exists, size, mtime...)", tuple(items))


def variables_section(subject):
    variables = subject.manifest.header.variables
    if not variables:
        return None
    items = []
    for variable in variables:
        difference = variable.difference()
        recorded = (f"{len(variable.snapshot)} variables" if variable.snapshot
                    else variable.shown())
        items.append(Item(variable.label(), recorded, variable.where, difference,
                          difference is not None))
    return Section("variables", "Environment variables", tuple(items))


def store_section(subject):
    manifest = subject.manifest
    questions = manifest.header.questions
    if not questions:
        return None
    graph = manifest.graph
    items = []
    for question in questions:
        hashes = question.hashes(graph)
        now = all(subject.store.exists_many(hashes)) if hashes else True
        what = f"{question.kind}(): are these {len(hashes)} tasks finished?"
        recorded = "yes" if question.answer else "no"
        differs = now != question.answer
        items.append(Item(what, recorded, now=("yes" if now else "no") if differs else None,
                          differs=differs))
    return Section("store", "Store answers", tuple(items))


def volatility_section(subject):
    volatile = subject.manifest.header.volatile
    if not volatile:
        return Section("volatility", "Volatility", (),
                       note="none: the manifest is reused while everything above holds")
    items = tuple(Item(source.source, VOLATILE_DESCRIPTION[source.kind], source.where,
                       "changes on every run", True) for source in volatile)
    rules = sorted({source.rule for source in volatile if source.rule})
    note = "every command traces the jugfile again, as the original jug does"
    if rules:
        note += "; see " + ", ".join(f"jug lint --explain {rule}" for rule in rules)
    return Section("volatility", "Volatility", items, note=note)


def replayed_section(subject):
    """What a worker re-creates before its tasks (:mod:`jug.compiler.replay`),
    or, when it runs the top level instead, why (file and line)."""
    header = subject.manifest.header
    changes = header.replay
    if header.volatile:
        return Section("replayed", "What a worker replays", (),
                       note="nothing: every command traces the jugfile itself (volatile)")
    if changes.top_level:
        items = tuple(Item(reason.what, "workers run the top level",
                           f"{reason.path}:{reason.line}" if reason.line else reason.path)
                      for reason in changes.top_level)
        return Section("replayed", "What a worker replays", items,
                       note="nothing: workers run the top level of "
                            f"{header.jugfile} before their tasks, as jug 2 does (slower start)")
    items = [Item(f"{kind} {name}".rstrip(), text) for kind, name, text in changes.items()]
    items.extend(Item(f"not carried: {name}", why) for name, why in changes.not_carried)
    note = (None if items else "nothing: the top level changed nothing a task could see")
    return Section("replayed", "What a worker replays", tuple(items), note=note)


from jug.compiler.freshness import VOLATILE_KINDS  # noqa: E402

VOLATILE_DESCRIPTION = {kind: what for kind, (what, _, _) in VOLATILE_KINDS.items()}

#: The sections of an explanation, in order; each ``f(subject)`` returns a
#: Section or None.
SECTIONS = [versions_section, inputs_section, stats_section, variables_section, store_section,
            volatility_section, replayed_section]


def explain_sections(subject):
    return [section for section in (build(subject) for build in SECTIONS) if section]


def choose_subject(options, store):
    """The manifest the next command would try: the fresh one, else the most
    recent of this environment (then of any), else a new trace."""
    from jug.compiler.build import compile_jugfile, find_manifest, load_manifest

    argv = tuple(options.argv)
    found = find_manifest(options.jugfile, store, list(argv))
    if found.manifest is not None:
        return Subject(found.manifest, store, argv), None
    if found.volatile is None:
        ordered = sorted(found.candidates, key=lambda c: c.mismatch() is not None)
        for candidate in ordered:
            if candidate.blob is None:
                continue
            manifest, _ = load_manifest(store, candidate.blob)
            if manifest is not None:
                return Subject(manifest, store, argv), found.reason
    result = compile_jugfile(options.jugfile, store, list(argv))
    return Subject(result.manifest, store, argv, traced_now=True), found.reason


def explain_command(options, as_json=False, out=None):
    """Print what the manifest of ``options.jugfile`` depends on; 0."""
    import contextlib

    from jug.project import open_project_store

    out = out or sys.stdout
    quiet = contextlib.redirect_stdout(sys.stderr)  # what a trace prints is not the answer
    from jug.compiler.build import stale_reason

    with open_project_store(options) as store, quiet:
        subject, _ = choose_subject(options, store)
        sections = explain_sections(subject)
        reason = None if subject.manifest.header.volatile else stale_reason(
            subject.manifest, store, list(subject.argv))
    header = subject.manifest.header
    fresh = not header.volatile and reason is None
    if header.volatile:
        state = "volatile: never reused, every command traces the jugfile"
    elif fresh:
        state = "fresh: commands use it without running the jugfile"
    else:
        state = f"stale: the next command re-traces it ({reason})"
    if as_json:
        json.dump({"jugfile": options.jugfile, "argv": list(subject.argv),
                   "manifest": None if header.volatile else subject.manifest.blob_name,
                   "traced_now": subject.traced_now, "fresh": fresh, "reason": reason,
                   "volatile": bool(header.volatile), "state": state,
                   "sections": [section.to_json() for section in sections]}, out, indent=1)
        out.write("\n")
        return 0
    for line in explanation_lines(options.jugfile, subject, sections, state):
        print(line, file=out)
    return 0


def explanation_lines(jugfile, subject, sections, state):
    traced = " (traced just now: nothing was stored)" if subject.traced_now else ""
    lines = [f"Manifest of {jugfile}{traced}: {state}"]
    for section in sections:
        lines.append("")
        lines.append(f"{section.title}:")
        for item in section.items:
            where = f" ({item.where})" if item.where else ""
            text = f"  {'*' if item.differs else ' '} {item.what}{where}: {item.recorded}"
            if item.differs and item.now:
                text += f"  ->  now: {item.now}"
            lines.append(text)
        if section.note:
            lines.append(f"    {section.note}")
    lines.append("")
    lines.append("(* marks what differs now)")
    return lines
