"""Helpers for testing microgpt.py without its 500 training steps.

microgpt.py is a script: it trains as it runs. So the tests either run its statements up to the
training loop (found with ast, never by line number) in a temporary folder, or run the whole file
as a subprocess with some hyperparameters rewritten.
"""

import ast
import contextlib
import io
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
MICROGPT = ROOT / "microgpt.py"
SOURCE = MICROGPT.read_text()
FIXTURES = pathlib.Path(__file__).resolve().parent / "fixtures"


def line_of(fragment, source=SOURCE):
    """The 1-based line of the only line containing fragment."""
    found = [i + 1 for i, line in enumerate(source.split("\n")) if fragment in line]
    assert len(found) == 1, (fragment, found)
    return found[0]


def set_values(source, **values):
    """source with each top-level `name = value` assignment given a new value (comment kept).

    `seed=N` rewrites the `random.seed(42)` call instead."""
    for name, value in values.items():
        if name == "seed":
            pattern, new = r"^random\.seed\(\d+\)", f"random.seed({value!r})"
        else:
            pattern, new = rf"^{re.escape(name)} = [^#\n]*?(?=\s*(#|$))", f"{name} = {value!r}"
        source, count = re.subn(pattern, new, source, count=0, flags=re.M)
        assert count == 1, f"{name}: {count} matches in microgpt.py"
    return source


def training_loop(tree):
    """The top-level `for step in range(num_steps):` statement of a parsed microgpt.py."""
    [loop] = [s for s in tree.body if isinstance(s, ast.For) and getattr(s.target, "id", None) == "step"]
    return loop


def run_statements(statements, g, folder):
    """Execute ast statements (from microgpt.py) in globals g, in folder, stdout captured."""
    code = compile(ast.Module(body=statements, type_ignores=[]), str(MICROGPT), "exec")
    out, cwd = io.StringIO(), os.getcwd()
    os.chdir(folder)
    try:
        with contextlib.redirect_stdout(out):
            exec(code, g)
    finally:
        os.chdir(cwd)
    return out.getvalue()


def load(folder, input_text, **values):
    """Run microgpt.py up to (not including) its training loop, in folder with this input.txt.

    Returns its globals: Value, state_dict, params, gpt, softmax, docs, uchars, BOS, ... and
    `_printed` (what it printed). Keyword arguments rewrite hyperparameters (see set_values)."""
    folder = pathlib.Path(folder)
    (folder / "input.txt").write_text(input_text)
    tree = ast.parse(set_values(SOURCE, **values))
    prefix = tree.body[: tree.body.index(training_loop(tree))]
    g = {"__name__": "microgpt", "__file__": str(MICROGPT)}
    g["_printed"] = run_statements(prefix, g, folder)
    g["_tree"], g["_folder"] = tree, folder
    return g


def run_step(g, doc, before):
    """Run the statements of microgpt.py's training loop body for doc (as its only document, at
    step 0), stopping before the first statement whose source starts with `before`."""
    body = training_loop(g["_tree"]).body
    [stop] = [i for i, s in enumerate(body) if ast.unparse(s).startswith(before)][:1]
    g["docs"], g["step"] = [doc], 0
    run_statements(body[:stop], g, g["_folder"])


def forward_loss(g, doc):
    """The loss microgpt.py's own training step computes for doc (its loop body up to backward())."""
    run_step(g, doc, before="loss.backward()")
    return g["loss"]


def value_class_source():
    """The source of the Value class, cut out of microgpt.py with ast."""
    [cls] = [s for s in ast.parse(SOURCE).body if isinstance(s, ast.ClassDef) and s.name == "Value"]
    return ast.get_source_segment(SOURCE, cls)


def run_script(folder, input_text=None, timeout=300, **values):
    """Run microgpt.py (hyperparameters rewritten) as `python microgpt.py` in folder.

    input_text None: no input.txt is written. Returns the CompletedProcess (text)."""
    folder = pathlib.Path(folder)
    if input_text is not None:
        (folder / "input.txt").write_text(input_text)
    (folder / "microgpt.py").write_text(set_values(SOURCE, **values))
    return subprocess.run([sys.executable, "microgpt.py"], cwd=folder, capture_output=True,
                          text=True, timeout=timeout)


def traced_gpt(g, name, pos):
    """gpt()'s own lines at position pos of `name`, in order, by a tracer as plain as can be
    (sys.settrace in CPython); also the KV cache and the logits. g: a loaded microgpt.py."""
    tokens = [g["BOS"]] + [g["uchars"].index(ch) for ch in name]
    keys, values = [[]], [[]]
    for p in range(pos):
        g["gpt"](tokens[p], p, keys, values)
    lines, code = [], g["gpt"].__code__

    def trace(frame, event, arg):
        if frame.f_code is not code:
            return None
        if event == "line" and (not lines or lines[-1] != frame.f_lineno):
            lines.append(frame.f_lineno)
        return trace
    sys.settrace(trace)
    try:
        logits = g["gpt"](tokens[pos], pos, keys, values)
    finally:
        sys.settrace(None)
    return lines, keys, logits
