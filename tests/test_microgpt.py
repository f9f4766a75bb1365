"""CPython tests of microgpt.py itself: autograd, model gradients, tokenizer, and whole runs.

Whole runs of the script (`python microgpt.py` in a temp folder) are slow, so those the selected
tests need all start at once in the background (the `runs` fixture), when the first test that
reads one begins, and the other tests run while they compute.
"""

import ast
import concurrent.futures
import gc
import json
import math
import random
import re
import shutil
import subprocess
import sys

import pytest

from tests.conftest import (FIXTURES, ROOT, SOURCE, forward_loss, load, run_script, run_step,
                            set_values, training_loop, value_class_source)

NAMES = (ROOT / "input.txt").read_text()
SMALL = (FIXTURES / "names-small.txt").read_text()
REFERENCE = FIXTURES / "original-output-30-steps.txt"  # a copy of ../shared/reference/
STEP_LINE = re.compile(r"^step +(\d+) / +(\d+) \| loss (\d+\.\d{4})$", re.M)


def losses(output):
    return [float(loss) for _, _, loss in STEP_LINE.findall(output)]


# ---------------------------------------------------------------- whole runs, in the background

JOBS = {  # name: run_script arguments
    "seed42": dict(input_text=SMALL, num_steps=5),
    "seed42-again": dict(input_text=SMALL, num_steps=5),
    "seed7": dict(input_text=SMALL, num_steps=5, seed=7),
    "reference": dict(input_text=NAMES, num_steps=30),
    "learns": dict(input_text=NAMES, num_steps=100),
}


def uses_runs(*names):
    """Marks a test as reading these JOBS; only the selected tests' jobs are started."""
    def mark(test):
        test.jobs = names
        return test
    return mark


@pytest.fixture(scope="session")
def runs(request, tmp_path_factory):
    """The whole-script runs the selected tests need, started together; runs[name].result() waits."""
    names = {n for item in request.session.items for n in getattr(item.function, "jobs", ())}
    pool = concurrent.futures.ThreadPoolExecutor(max(1, len(names)))
    yield {name: pool.submit(run_script, tmp_path_factory.mktemp(name), **JOBS[name]) for name in names}
    pool.shutdown(wait=True)


def output(runs, name):
    proc = runs[name].result()
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


@uses_runs("seed42", "seed42-again", "seed7")
def test_same_seed_same_output_other_seed_other_output(runs):
    first, again, other = (output(runs, n) for n in ("seed42", "seed42-again", "seed7"))
    assert len(losses(first)) == 5 and "sample 20:" in first
    assert first == again
    assert losses(other) != losses(first)


@uses_runs("seed42")
def test_golden_output_of_5_steps_on_the_small_fixture(runs):
    assert output(runs, "seed42") == (FIXTURES / "golden-5-steps.txt").read_text()


@pytest.mark.slow
@uses_runs("reference")
def test_matches_the_original_output_for_30_steps(runs):
    assert REFERENCE.exists(), f"reference output missing: {REFERENCE}"
    assert output(runs, "reference") == REFERENCE.read_text()


def test_missing_input_exits_with_a_one_line_error(tmp_path):
    proc = run_script(tmp_path, input_text=None, num_steps=1)
    assert proc.returncode != 0
    assert proc.stdout == ""
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "input.txt" in lines[0], proc.stderr


# ---------------------------------------------------------------- the source itself

def test_imports_only_os_math_random():
    tree = ast.parse(SOURCE)
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module)
    assert imported == {"os", "math", "random"}
    assert "__import__" not in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}


# ---------------------------------------------------------------- autograd, op by op

Value = None


def setup_module():
    global Value
    namespace = {"math": math}
    exec(compile(value_class_source(), "microgpt.py", "exec"), namespace)
    Value = namespace["Value"]


def check_gradients(f, *xs, h=1e-6):
    """f(*Values) -> Value: backward() gradients and forward value vs central differences."""
    inputs = [Value(x) for x in xs]
    out = f(*inputs)
    assert out.data == pytest.approx(f(*xs), rel=1e-12)  # the same function on plain floats
    out.backward()
    for i, x in enumerate(xs):
        up = f(*[Value(x + h if j == i else y) for j, y in enumerate(xs)]).data
        down = f(*[Value(x - h if j == i else y) for j, y in enumerate(xs)]).data
        numeric = (up - down) / (2 * h)
        assert inputs[i].grad == pytest.approx(numeric, rel=1e-5, abs=1e-7), (i, inputs[i].grad, numeric)
    return [v.grad for v in inputs]


def _log(a): return a.log() if isinstance(a, Value) else math.log(a)
def _exp(a): return a.exp() if isinstance(a, Value) else math.exp(a)
def _relu(a): return a.relu() if isinstance(a, Value) else max(0, a)


@pytest.mark.parametrize("name, f, xs", [
    ("add", lambda a, b: a + b, (1.5, -2.25)),
    ("mul", lambda a, b: a * b, (1.5, -2.25)),
    ("pow 3", lambda a: a ** 3, (-1.3,)),
    ("pow -2", lambda a: a ** -2, (0.7,)),
    ("pow 0.5", lambda a: a ** 0.5, (2.3,)),
    ("pow -0.5", lambda a: a ** -0.5, (2.3,)),
    ("pow -1.5", lambda a: a ** -1.5, (0.9,)),
    ("log", _log, (0.37,)),
    ("exp", _exp, (-1.2,)),
    ("relu > 0", _relu, (0.8,)),
    ("relu < 0", _relu, (-0.8,)),
    ("neg", lambda a: -a, (0.4,)),
    ("sub", lambda a, b: a - b, (0.4, 1.9)),
    ("truediv", lambda a, b: a / b, (0.4, -1.9)),
    ("add number", lambda a: a + 3, (0.4,)),
    ("mul number", lambda a: a * 3, (0.4,)),
    ("sub number", lambda a: a - 3, (0.4,)),
    ("div number", lambda a: a / 3, (0.4,)),
    ("radd", lambda a: 3 + a, (0.4,)),
    ("rsub", lambda a: 3 - a, (0.4,)),
    ("rmul", lambda a: 3 * a, (0.4,)),
    ("rtruediv", lambda a: 3 / a, (0.4,)),
    ("one node used twice", lambda a: a * a + a, (1.7,)),
    ("shared nodes", lambda a, b: _log(a * b + _exp(b)) / a - (b - a) ** 2 * b, (1.3, 0.6)),
    ("sum of many", lambda a, b: sum([a * b, a, 2 * b, a / b, -a]), (1.1, 0.3)),
])
def test_value_op_gradient_matches_finite_differences(name, f, xs):
    check_gradients(f, *xs)


def test_relu_gradient_is_one_above_zero_and_zero_below():
    assert check_gradients(_relu, 0.8) == [1.0]
    assert check_gradients(_relu, -0.8) == [0.0]


def test_one_node_used_twice_gets_both_contributions():
    a = Value(1.7)
    out = a * a + a
    out.backward()
    assert a.grad == pytest.approx(2 * 1.7 + 1)


def deep_chain_grads(n):
    bottom, leaf = Value(2.0), Value(0.5)
    x = bottom
    for _ in range(n):
        x = x + leaf
    x = x * 3
    x.backward()
    return x.data, bottom.grad, leaf.grad


def test_backward_on_a_25000_deep_chain_in_cpython():
    n = 25_000
    assert sys.getrecursionlimit() < n  # a recursive backward would raise RecursionError here
    assert deep_chain_grads(n) == (3 * (2.0 + 0.5 * n), 3, 3 * n)


@pytest.mark.slow
def test_backward_on_a_25000_deep_chain_in_pyodide(tmp_path):
    """In Pyodide under Node. The chain is kept alive: freeing a chain this deep overflows the JS
    stack there (see the largest-configuration test below)."""
    out = run_in_pyodide(tmp_path, value_class_source() + f"""
import json, sys
{deep_chain_source(25_000)}
result = json.dumps([sys.getrecursionlimit(), x.data, bottom.grad, leaf.grad])
""")
    limit, *grads = json.loads(out)
    assert limit < 25_000
    assert grads == [3 * (2.0 + 0.5 * 25_000), 3, 3 * 25_000]


def deep_chain_source(n):
    return f"""
bottom, leaf = Value(2.0), Value(0.5)
x = bottom
for _ in range({n}):
    x = x + leaf
x = x * 3
x.backward()
"""


NODE_SCRIPT = """
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
const [dir, program] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(dir + '/pyodide.mjs'));
const pyodide = await loadPyodide({ indexURL: dir + '/' });
pyodide.runPython(readFileSync(program, 'utf8'));
console.log('RESULT ' + pyodide.globals.get('result'));
"""


def run_in_pyodide(tmp_path, program):
    """Run program in Pyodide (Node); returns the string its global `result` holds at the end."""
    from scripts.build import runtime_dir
    node = shutil.which("node")
    assert node, "node is needed for the Pyodide tests"
    (tmp_path / "run.mjs").write_text(NODE_SCRIPT)
    (tmp_path / "program.py").write_text(program)
    proc = subprocess.run([node, "run.mjs", str(runtime_dir()), "program.py"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    results = [line[7:] for line in proc.stdout.splitlines() if line.startswith("RESULT ")]
    assert proc.returncode == 0 and results, proc.stdout[-2000:] + proc.stderr[-2000:]
    return results[-1]


# The deepest configuration the app allows (it caps n_embd * n_layer at 128; depth grows with
# that product, so 32 * 4 beats 64 * 2), on a 31-character document.
LARGEST = dict(n_embd=32, n_head=4, n_layer=4, block_size=32)
LONG_DOC = "abcdefghijklmnopqrstuvwxyzabcde"


@pytest.mark.slow
def test_backward_at_the_largest_configuration(tmp_path):
    """A few seconds with the garbage collector off (it would only walk the huge graph)."""
    gc.disable()
    try:
        g = load(tmp_path, LONG_DOC, **LARGEST)
        loss = forward_loss(g, LONG_DOC)
        assert g["n"] == 32
        loss.backward()  # no RecursionError
        grads = [p.grad for p in g["params"]]
        assert all(math.isfinite(d) for d in grads)
        assert sum(d != 0 for d in grads) > 10_000  # (attn_wo and mlp_fc2 start at zero, so
        # attn_wq/wk/wv and mlp_fc1 get no gradient on this first step)
    finally:
        gc.enable()


@pytest.mark.slow
def test_forward_and_freeing_at_the_largest_configuration_in_pyodide(tmp_path):
    """Freeing nested Values recurses in C; in Pyodide under Node 20 a
    plain chain over ~2,300 deep overflows the JS stack (a fatal error), so check the real graph,
    freed in the order the training loop rebinds its names."""
    tree = ast.parse(set_values(SOURCE, num_steps=1, **LARGEST))
    loop = training_loop(tree)
    body = loop.body[:[ast.unparse(s) for s in loop.body].index("loss.backward()")]
    out = run_in_pyodide(tmp_path, f"""
open('input.txt', 'w').write({LONG_DOC!r})
{ast.unparse(tree.body[:tree.body.index(loop)])}
step = 0
{ast.unparse(body)}
assert n == 32
keys, values = None, None
logits = None
losses = None
loss = None
result = '"freed"'
""")
    assert json.loads(out) == "freed"


# ---------------------------------------------------------------- the model

def test_model_gradients_match_finite_differences(tmp_path):
    g = load(tmp_path, SMALL, n_embd=8, n_head=2, n_layer=2, block_size=4)
    rng = random.Random(1)
    for p in g["params"]:  # bigger than the defaults, and no zero matrices, so every path counts
        p.data = rng.gauss(0, 0.5)
    doc = "olivia"
    loss = forward_loss(g, doc)
    loss.backward()
    assert g["n"] == 4
    h = 1e-6
    for name, mat in g["state_dict"].items():
        entries = [p for row in mat for p in row]
        biggest = sorted(entries, key=lambda p: abs(p.grad))[-2:]
        assert abs(biggest[-1].grad) > 1e-3, name  # so the check below is not just 0 == 0
        for p in biggest + [rng.choice(entries)]:  # the two largest gradients, and one at random
            analytic, saved = p.grad, p.data
            p.data = saved + h
            up = forward_loss(g, doc).data
            p.data = saved - h
            down = forward_loss(g, doc).data
            p.data = saved
            numeric = (up - down) / (2 * h)
            assert analytic == pytest.approx(numeric, rel=1e-4, abs=1e-7), (name, analytic, numeric)


def test_tokenizer_round_trips_every_document(tmp_path):
    g = load(tmp_path, SMALL)
    uchars, bos = g["uchars"], g["BOS"]
    assert uchars == sorted(set(SMALL) - {"\n"}) and g["vocab_size"] == len(uchars) + 1
    for doc in g["docs"]:
        run_step(g, doc, before="keys, values")
        tokens = g["tokens"]
        assert tokens[0] == tokens[-1] == bos and bos not in tokens[1:-1]
        assert "".join(uchars[t] for t in tokens[1:-1]) == doc


def test_a_long_document_trains_on_its_first_block_size_positions(tmp_path):
    g = load(tmp_path, "abcdefghijklmnopqrstuvwxyz\n", n_embd=8, n_head=2, block_size=4)
    # tokens: BOS a b c d e ...; the 4 positions read BOS a b c and predict a b c d
    base = forward_loss(g, "abcdefgh").data
    assert g["n"] == 4
    assert forward_loss(g, "abcdzyxw").data == base  # differs after the block: same loss
    assert forward_loss(g, "abczefgh").data != base  # differs at the last target: other loss
    forward_loss(g, "ab")
    assert g["n"] == 3  # short: BOS a b predict a b BOS


# ---------------------------------------------------------------- training (background run)

@pytest.mark.slow
@uses_runs("learns")
def test_training_learns(runs):
    values = losses(output(runs, "learns"))
    assert len(values) == 100
    first, last = sum(values[:5]) / 5, sum(values[-20:]) / 20
    assert first > 3.1 and last < first - 0.5, (first, last)
