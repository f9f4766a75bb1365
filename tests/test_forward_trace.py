"""py/forward_trace.py against microgpt.py's own gpt() and softmax(), in CPython."""
import random
import sys

import pytest

from tests.conftest import ROOT, SOURCE, load, set_values

sys.path.insert(0, str(ROOT / "py"))
import forward_trace   # noqa: E402
import inspections     # noqa: E402

INPUT = (ROOT / "input.txt").read_text()


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    return load(tmp_path_factory.mktemp("model"), INPUT), SOURCE


@pytest.fixture(scope="module")
def model_2x2(tmp_path_factory):
    values = dict(n_layer=2, n_head=2, n_embd=8)
    return load(tmp_path_factory.mktemp("model2"), INPUT, **values), set_values(SOURCE, **values)


def direct_probs(g, text):
    """softmax(gpt(...)) per position, called straight, as the training step does."""
    tokens = [g["BOS"]] + [g["uchars"].index(ch) for ch in text] + [g["BOS"]]
    keys, values = [[] for _ in range(g["n_layer"])], [[] for _ in range(g["n_layer"])]
    n = min(g["block_size"], len(tokens) - 1)
    return [[p.data for p in g["softmax"](g["gpt"](tokens[i], i, keys, values))] for i in range(n)]


def perturb(g, seed):
    """Give the zero-initialised matrices values, so attention and MLP outputs are not all 0."""
    rng = random.Random(seed)
    for p in g["params"]:
        p.data = rng.gauss(0, 0.3)


@pytest.mark.parametrize("fixture", ["model", "model_2x2"])
def test_probabilities_equal_softmax_of_gpt(fixture, request):
    g, source = request.getfixturevalue(fixture)
    perturb(g, 1)
    result = inspections.answer("forward", g, source, {"text": "emma"})
    expected = direct_probs(g, "emma")
    assert len(result["positions"]) == len(expected) == 5
    for position, probs in zip(result["positions"], expected):
        assert position["probs"] == probs
        assert position["steps"][-1]["block"] == "softmax"
        assert position["steps"][-1]["values"] == probs
        assert position["target_prob"] == probs[position["target"]]
    assert result["chars"] == [None, "e", "m", "m", "a"]
    assert result["targets"] == ["e", "m", "m", "a", None]


@pytest.mark.parametrize("fixture", ["model", "model_2x2"])
def test_attention_rows_are_causal_and_sum_to_one(fixture, request):
    g, source = request.getfixturevalue(fixture)
    perturb(g, 2)
    result = inspections.answer("attention", g, source, {"text": "olivia"})
    weights = result["weights"]
    assert len(weights) == g["n_layer"] and all(len(layer) == g["n_head"] for layer in weights)
    for layer in weights:
        for head in layer:
            assert len(head) == len(result["chars"])
            for query, row in enumerate(head):
                assert len(row) == query + 1   # keys 0..query only
                assert abs(sum(row) - 1) < 1e-9


@pytest.mark.parametrize("fixture", ["model", "model_2x2"])
def test_vectors_have_the_right_lengths_and_lines(fixture, request):
    g, source = request.getfixturevalue(fixture)
    result = forward_trace.forward(g, source, "ava")
    n_embd, head_dim = g["n_embd"], g["n_embd"] // g["n_head"]
    lines = source.split("\n")
    for position in result["positions"]:
        blocks = {}
        for step in position["steps"]:
            blocks.setdefault(step["block"], []).append(step)
        lengths = {"token_embedding": n_embd, "position_embedding": n_embd, "embed_add": n_embd,
                   "embed_norm": n_embd, "attn_norm": n_embd, "qkv": n_embd, "head_out": head_dim,
                   "attn_out": n_embd, "attn_residual": n_embd, "mlp_norm": n_embd,
                   "mlp_fc1": 4 * n_embd, "relu2": 4 * n_embd, "mlp_fc2": n_embd,
                   "mlp_residual": n_embd, "lm_head": g["vocab_size"], "softmax": g["vocab_size"]}
        for block, length in lengths.items():
            assert blocks[block], block
            assert all(len(s["values"]) == length for s in blocks[block]), block
        per_layer = 1 if fixture == "model" else 2
        assert len(blocks["attn_residual"]) == per_layer == len(blocks["mlp_residual"])
        assert [s["name"] for s in blocks["qkv"]] == ["q", "k", "v"] * per_layer
        assert len(blocks["attn_softmax"]) == g["n_layer"] * g["n_head"]
        assert [len(s["values"]) for s in blocks["attn_softmax"]] == [position["pos"] + 1] * len(blocks["attn_softmax"])
        assert sorted({(s["layer"], s["head"]) for s in blocks["head_out"]}) == \
            [(li, h) for li in range(g["n_layer"]) for h in range(g["n_head"])]
        # each vector is tagged with the line that computed it
        assert "'wte'" in lines[blocks["token_embedding"][0]["lines"][0][0] - 1]
        assert "mlp_fc1" in lines[blocks["mlp_fc1"][0]["lines"][0][0] - 1]
        assert "relu" in lines[blocks["relu2"][0]["lines"][0][0] - 1]
        assert "def softmax" in lines[blocks["softmax"][0]["lines"][0][0] - 1]


def test_tokens_follow_the_training_step(model):
    g, source = model
    long = "abcdefghijkl"
    result = forward_trace.forward(g, source, long)
    assert len(result["positions"]) == g["block_size"]   # n = min(block_size, len(tokens) - 1)
    assert result["chars"][:3] == [None, "a", "b"]


def test_unknown_character_is_a_clear_error(model):
    g, source = model
    with pytest.raises(ValueError, match=r"does not know '7'.*abc"):
        forward_trace.forward(g, source, "em7ma")
    with pytest.raises(ValueError, match="Type a name"):
        forward_trace.forward(g, source, "  ")


def test_tracer_is_restored_and_random_untouched(model):
    g, source = model
    def mine(frame, event, arg):
        return None
    state = random.getstate()
    sys.settrace(mine)
    try:
        forward_trace.forward(g, source, "emma")
        assert sys.gettrace() is mine
    finally:
        sys.settrace(None)
    assert random.getstate() == state
    grads = {p.grad for p in g["params"]}
    assert grads == {0}


def test_weights_are_the_state_dict(model):
    g, source = model
    exported = inspections.answer("weights", g, source, {})
    assert set(exported) == set(g["state_dict"])
    for name, matrix in g["state_dict"].items():
        assert exported[name] == [[p.data for p in row] for row in matrix]
