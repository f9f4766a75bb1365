"""py/graph_slice.py: small graphs built by microgpt.py's own Value, and their backward replay."""
import math
import sys

import pytest

from tests.conftest import FIXTURES, ROOT, SOURCE, forward_loss, load

sys.path.insert(0, str(ROOT / "py"))
import graph_slice  # noqa: E402
import source_map   # noqa: E402

SLICES = ["rmsnorm", "neuron", "loss"]


@pytest.fixture(scope="module")
def g(tmp_path_factory):
    g = load(tmp_path_factory.mktemp("gs"), (FIXTURES / "names-small.txt").read_text())
    # as after a training step, the run's globals name the last document
    g["doc"] = "emma"
    return g


def leaf_grads(result):
    return {n["label"]: (n["data"], n["grad"]) for n in result["nodes"] if n["op"] == "leaf"}


def direct(g, slice, result):
    """The same slice, built here with microgpt's Value and functions, and its root's function of
    the leaves' data (for finite differences). Returns (root after backward, leaves, f)."""
    Value = g["Value"]
    leaves = [result["nodes"][i] for i in result["inputs"]]   # in the order the slice passes them
    assert all(n["op"] == "leaf" for n in leaves)
    if slice == "rmsnorm":
        def f(data):
            return sum(g["rmsnorm"]([Value(d) for d in data]))
    elif slice == "neuron":
        size = result["size"]
        ws = [n for n in leaves if n["label"].startswith("w[")]
        xs = [n for n in leaves if n["label"].startswith("x[")]
        leaves = ws + xs

        def f(data):
            w, x = [Value(d) for d in data[:size]], [Value(d) for d in data[size:]]
            return g["linear"](x, [w])[0].relu() ** 2
    else:
        target = next(i for i, n in enumerate(leaves) if n["label"] == f"logit[{result['target']!r}]")

        def f(data):
            return -g["softmax"]([Value(d) for d in data])[target].log()
    return leaves, f


@pytest.mark.parametrize("slice", SLICES)
def test_grads_match_backward_and_finite_differences(g, slice):
    result = graph_slice.graph(g, SOURCE, slice)
    assert 15 <= len(result["nodes"]) <= 80
    leaves, f = direct(g, slice, result)
    data = [n["data"] for n in leaves]
    assert f(data).data == result["nodes"][result["root"]]["data"]
    # leaf grads against central finite differences of the root w.r.t. each leaf's data
    h = 1e-6
    for i, leaf in enumerate(leaves):
        up, down = list(data), list(data)
        up[i] += h
        down[i] -= h
        numeric = (f(up).data - f(down).data) / (2 * h)
        assert leaf["grad"] == pytest.approx(numeric, rel=1e-5, abs=1e-7), leaf["label"]


@pytest.mark.parametrize("slice", SLICES)
def test_same_as_microgpt_backward_on_the_same_slice(g, slice):
    result = graph_slice.graph(g, SOURCE, slice)
    leaves, f = direct(g, slice, result)
    Value = g["Value"]
    vals = [Value(n["data"]) for n in leaves]
    # f builds fresh leaves; rebuild with our own to read their grads after microgpt's backward
    if slice == "rmsnorm":
        root = sum(g["rmsnorm"](vals))
    elif slice == "neuron":
        k = result["size"]
        root = g["linear"](vals[k:], [vals[:k]])[0].relu() ** 2
    else:
        t = next(i for i, n in enumerate(leaves) if n["label"] == f"logit[{result['target']!r}]")
        root = -g["softmax"](vals)[t].log()
    root.backward()
    assert [v.grad for v in vals] == [n["grad"] for n in leaves]


@pytest.mark.parametrize("slice", SLICES)
def test_replay_ends_with_backwards_grads_in_topological_order(g, slice):
    result = graph_slice.graph(g, SOURCE, slice)
    assert result["replay_matches"] is True
    nodes, steps = result["nodes"], result["steps"]
    grads = [0.0] * len(nodes)
    grads[result["root"]] = 1.0
    final = [n["grad"] for n in nodes]
    for step in steps:
        # a node's grad is complete when the chain rule reaches it: every user came before
        assert grads[step["node"]] == final[step["node"]] == step["grad"]
        for c in step["changes"]:
            assert grads[c["id"]] == c["from"]
            grads[c["id"]] = c["to"]
            assert c["to"] == pytest.approx(c["from"] + c["local_grad"] * step["grad"], rel=1e-15)
    assert grads == final
    # the order is backward()'s: nodes after all their children; steps in reverse
    assert [s["node"] for s in steps] == sorted((s["node"] for s in steps), reverse=True)
    for e in result["edges"]:
        assert e["from"] < e["to"]
        assert nodes[e["from"]]["depth"] < nodes[e["to"]]["depth"]
    assert result["root"] == len(nodes) - 1


@pytest.mark.parametrize("slice", SLICES)
def test_model_and_value_class_untouched(g, slice):
    Value = g["Value"]
    before = dict(vars(Value))
    graph_slice.graph(g, SOURCE, slice)
    assert dict(vars(Value)) == before
    assert all(p.grad == 0 for p in g["params"])


@pytest.mark.parametrize("slice", SLICES)
def test_ops_are_tagged_and_inference_agrees(g, slice):
    result = graph_slice.graph(g, SOURCE, slice)
    ops = {n["op"] for n in result["nodes"]}
    assert "?" not in ops
    expected = {"rmsnorm": {"leaf", "const", "+", "*", "**"},
                "neuron": {"leaf", "const", "+", "*", "relu", "**"},
                "loss": {"leaf", "const", "+", "*", "**", "exp", "log"}}[slice]
    assert ops == expected
    pows = [n for n in result["nodes"] if n["op"] == "**"]
    assert {n["k"] for n in pows} == {"rmsnorm": {-0.5}, "neuron": {2.0}, "loss": {-1.0}}[slice]
    if slice == "loss":
        assert any(n.get("via") == "neg" for n in result["nodes"])
        assert any(n.get("via") == "/" for n in result["nodes"])
    # without the recorded tags, the ops inferred from children and local grads are the same
    leaves, f = direct(g, slice, result)
    root = f([n["data"] for n in leaves])
    root.backward()
    inferred = graph_slice.describe(root, {}, {}, [])
    assert [n["op"] if n["op"] != "leaf" else "const" for n in inferred["nodes"]] == \
           [n["op"] if n["op"] != "leaf" else "const" for n in result["nodes"]]


def test_value_ops_and_backward_parts_follow_the_source(g):
    defs = source_map.source_map(SOURCE)["defs"]
    rows = graph_slice.value_ops(g, SOURCE)
    assert {r["method"] for r in rows} >= {"__add__", "__mul__", "__pow__", "log", "exp", "relu", "backward"}
    for r in rows:
        assert r["lines"] == defs[r["def"]]
    lines = SOURCE.split("\n")
    start = defs["Value.backward"][0]
    parts = graph_slice.backward_parts(SOURCE)
    assert lines[start + parts["seed"][0] - 1].strip() == "self.grad = 1.0"
    chain = "\n".join(lines[start + parts["chain"][0] - 1:start + parts["chain"][1]])
    assert "child.grad += local_grad * node.grad" in chain
    # an inserted line above moves everything, offsets stay
    moved = "# a comment\n" + SOURCE
    assert graph_slice.backward_parts(moved) == parts


def test_after_a_training_step(tmp_path):
    g = load(tmp_path, (FIXTURES / "names-small.txt").read_text())
    loss = forward_loss(g, "olivia")
    loss.backward()
    for p in g["params"]:   # a plain SGD step, just to move the weights
        p.data -= 0.1 * p.grad
        p.grad = 0
    for slice in SLICES:
        result = graph_slice.graph(g, SOURCE, slice, doc="olivia", pos=2)
        assert result["replay_matches"]
        assert result.get("doc", "olivia") == "olivia" and result.get("char", "o") == "o"
        assert all(math.isfinite(n["grad"]) for n in result["nodes"])
