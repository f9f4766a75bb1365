"""py/source_map.py (sections, names, hyperparameters, phases, state_dict, anchors), set_values
and py/highlight.py, on microgpt.py itself (CPython; the same code runs in Pyodide)."""
import re
import sys

import pytest

from tests.conftest import ROOT, SOURCE, line_of

sys.path.insert(0, str(ROOT / "py"))
import highlight    # noqa: E402
import source_map   # noqa: E402

LINES = SOURCE.split("\n")


def text_of(span, lines=LINES):
    start, end = span
    return "\n".join(lines[start - 1:end])


@pytest.fixture(scope="module")
def smap():
    return source_map.source_map(SOURCE)


# --- source_map ---------------------------------------------------------------------------------

def test_sections(smap):
    names = [s["name"] for s in smap["sections"]]
    assert names == ["Data", "Tokenizer", "Autograd", "Parameters", "Model", "Adam", "Training",
                     "Sampling"]
    for section in smap["sections"]:
        start, end = section["lines"]
        assert LINES[start - 1] == "# " + section["title"]
        assert section["title"].startswith(section["name"] + ": ")
        assert LINES[end - 1].strip(), "trailing blank lines are excluded"
    # consecutive sections: each ends right before the blank lines preceding the next one
    for a, b in zip(smap["sections"], smap["sections"][1:]):
        gap = LINES[a["lines"][1]:b["lines"][0] - 1]
        assert all(not line.strip() for line in gap)
    assert smap["sections"][-1]["lines"][1] == len(SOURCE.rstrip("\n").split("\n"))
    assert "class Value" in text_of(smap["sections"][2]["lines"])


def test_names(smap):
    names = smap["names"]
    assert LINES[names["head_dim"][0] - 1].startswith("head_dim = n_embd // n_head")
    assert LINES[names["params"][0] - 1].startswith("params = [p for mat in state_dict.values()")
    assert names["beta1"] == names["learning_rate"]     # the one tuple assignment names both


def test_defs(smap):
    defs = smap["defs"]
    def_lines = [line for line in LINES if re.match(r"\s*(def|class) ", line)]
    assert len(defs) == len(def_lines) + 1          # + the `matrix = lambda` assignment
    for name, span in defs.items():
        first = LINES[span[0] - 1].strip()
        short = name.split(".")[-1]
        assert (first.startswith(f"def {short}(") or first.startswith(f"class {short}")
                or first.startswith(f"{short} = lambda")), (name, first)
    assert LINES[defs["rmsnorm"][0] - 1].startswith("def rmsnorm")
    assert "return [xi * scale for xi in x]" in LINES[defs["rmsnorm"][1] - 1]
    assert "child.grad +=" in text_of(defs["Value.backward"])
    assert defs["Value.__add__"][0] > defs["Value"][0] and defs["Value.backward"][1] == defs["Value"][1]
    assert defs["matrix"][0] == defs["matrix"][1] == line_of("matrix = lambda")
    assert "return logits" in LINES[defs["gpt"][1] - 1]


def test_hyperparams(smap):
    hp = smap["hyperparams"]
    expected = {"n_embd": 16, "n_head": 4, "n_layer": 1, "block_size": 8, "learning_rate": 1e-2,
                "beta1": 0.9, "beta2": 0.95, "eps_adam": 1e-8, "num_steps": 500,
                "temperature": 0.5, "seed": 42}
    assert {name: info["value"] for name, info in hp.items()} == expected
    for name, info in hp.items():
        line = LINES[info["line"] - 1]
        assert line[info["col"]:info["end_col"]] == info["text"]
        assert float(info["text"]) == info["value"]
    assert hp["seed"]["line"] == line_of("random.seed(")
    assert {hp[n]["line"] for n in ("learning_rate", "beta1", "beta2", "eps_adam")} == \
        {line_of("learning_rate, beta1")}


def test_hyperparams_columns_are_characters():
    src = "s = 'é€'; n_embd = 16  # ünïcode before and after\nn_head = -4\nn_layer = f(1)\n"
    hp = source_map.source_map(src)["hyperparams"]
    line = src.split("\n")[0]
    assert line[hp["n_embd"]["col"]:hp["n_embd"]["end_col"]] == "16"
    assert hp["n_head"]["value"] == -4 and hp["n_head"]["text"] == "-4"
    assert "n_layer" not in hp                        # not a literal
    assert source_map.set_values(src, {"n_embd": 32}).split("\n")[0] == line.replace("16", "32")


def test_loop_and_phases(smap):
    loop = smap["loop"]
    assert LINES[loop["line"] - 1].startswith("for step in range(num_steps):")
    phases = {p["name"]: p["lines"] for p in loop["phases"]}
    assert list(phases) == ["Tokenize", "Forward", "Loss", "Backward", "Adam update"]
    assert "tokens = [BOS]" in text_of(phases["Tokenize"])
    assert "gpt(tokens[pos_id]" in text_of(phases["Forward"])
    assert "loss = (1 / n) * sum(losses)" in text_of(phases["Loss"])
    assert "loss.backward()" in text_of(phases["Backward"])
    adam = text_of(phases["Adam update"])
    assert "p.data -=" in adam and 'print(f"step' in adam
    assert loop["body"] == [loop["phases"][0]["lines"][0], phases["Adam update"][1]]
    assert phases["Adam update"][1] == line_of('print(f"step')


def test_state_dict(smap):
    sd = smap["state_dict"]
    assert list(sd) == ["wte", "wpe", "lm_head"] + [
        f"layer{{i}}.{k}" for k in ("attn_wq", "attn_wk", "attn_wv", "attn_wo", "mlp_fc1", "mlp_fc2")]
    gpt = smap["defs"]["gpt"]
    for key, where in sd.items():
        suffix = key.split("}")[-1]
        assert where["created"] and where["used"], key
        for row in where["created"]:
            assert suffix in LINES[row - 1]
        for row in where["used"]:
            assert gpt[0] <= row <= gpt[1] and suffix in LINES[row - 1]
    assert sd["layer{i}.attn_wq"]["used"] == [line_of("attn_wq'])")]


ANCHOR_TEXT = {
    "token_embedding": "tok_emb = state_dict['wte']",
    "position_embedding": "pos_emb = state_dict['wpe']",
    "embed_add": "zip(tok_emb, pos_emb)",
    "embed_norm": "x = rmsnorm(x)",
    "attn_norm": "x = rmsnorm(x)",
    "qkv": "q = linear(x, state_dict[f'layer{li}.attn_wq'])",
    "kv_cache": "keys[li].append(k)",
    "attention_heads": "for h in range(n_head):",
    "attn_logits": "attn_logits = [",
    "attn_softmax": "attn_weights = softmax(attn_logits)",
    "attn_out": "x = linear(x_attn, state_dict[f'layer{li}.attn_wo'])",
    "attn_residual": "x = [a + b for a, b in zip(x, x_residual)]",
    "mlp_norm": "x = rmsnorm(x)",
    "mlp_fc1": "mlp_fc1",
    "relu2": "xi.relu() ** 2",
    "mlp_fc2": "mlp_fc2",
    "mlp_residual": "x = [a + b for a, b in zip(x, x_residual)]",
    "lm_head": "logits = linear(x, state_dict['lm_head'])",
}


def test_anchors(smap):
    anchors = smap["anchors"]
    for name, fragment in ANCHOR_TEXT.items():
        assert name in anchors, name
        assert fragment in text_of(anchors[name]), (name, text_of(anchors[name]))
    gpt = smap["defs"]["gpt"]
    assert all(gpt[0] < s <= e <= gpt[1] for s, e in anchors.values())
    assert "values[li].append(v)" in text_of(anchors["kv_cache"])
    assert "attn_wv" in text_of(anchors["qkv"])
    assert anchors["embed_norm"][0] < anchors["attn_norm"][0] < anchors["mlp_norm"][0]
    assert anchors["attn_residual"][0] < anchors["mlp_norm"][0] < anchors["mlp_residual"][0]
    assert text_of(anchors["attention_heads"]).rstrip().endswith("x_attn.extend(head_out)")


def shifted(value, n, line_numbers=False):
    """The map with every line number moved by n (columns and values untouched)."""
    if isinstance(value, dict):
        # in defs and anchors every value is a range; elsewhere these keys hold line numbers
        return {k: shifted(v, n, line_numbers or k in ("defs", "names", "anchors", "lines", "line", "body",
                                                       "created", "used"))
                for k, v in value.items()}
    if isinstance(value, list):
        return [shifted(v, n, line_numbers) for v in value]
    if isinstance(value, int) and line_numbers:
        return value + n
    return value


def test_ranges_follow_inserted_lines(smap):
    moved = source_map.source_map("\n\n# a comment at the top\n   \n" + SOURCE)
    assert moved == shifted(smap, 4)
    assert moved != smap
    # a new helper above gpt moves gpt's anchors, but not what comes before it
    helper = "def helper(x):\n    # Note: not a section\n    return x\n\n"
    at = SOURCE.index("def gpt(")
    edited = source_map.source_map(SOURCE[:at] + helper + SOURCE[at:])
    assert edited["anchors"] == shifted({"anchors": smap["anchors"]}, 4)["anchors"]
    assert edited["defs"]["helper"] == [smap["defs"]["gpt"][0], smap["defs"]["gpt"][0] + 2]
    assert edited["hyperparams"]["n_embd"] == smap["hyperparams"]["n_embd"]
    assert [s["name"] for s in edited["sections"]] == [s["name"] for s in smap["sections"]]


def test_missing_pieces_are_absent():
    sm = source_map.source_map("x = 1\n")
    assert sm["loop"] is None and sm["anchors"] == {} and sm["sections"] == []
    assert sm["hyperparams"] == {} and sm["state_dict"] == {} and sm["defs"] == {}
    with pytest.raises(SyntaxError):
        source_map.source_map("def f(:\n")


# --- set_values ---------------------------------------------------------------------------------

def test_set_values_changes_only_the_literal(smap):
    edited = source_map.set_values(SOURCE, {"n_embd": 32, "beta2": 0.99, "seed": 7})
    changed = [(a, b) for a, b in zip(SOURCE.split("\n"), edited.split("\n")) if a != b]
    assert changed == [
        ("random.seed(42) # same seed, same run", "random.seed(7) # same seed, same run"),
        ("n_embd = 16     # width of every vector in the model",
         "n_embd = 32     # width of every vector in the model"),
        ("learning_rate, beta1, beta2, eps_adam = 1e-2, 0.9, 0.95, 1e-8",
         "learning_rate, beta1, beta2, eps_adam = 1e-2, 0.9, 0.99, 1e-8"),
    ]
    hp = source_map.source_map(edited)["hyperparams"]
    assert (hp["n_embd"]["value"], hp["beta2"]["value"], hp["seed"]["value"]) == (32, 0.99, 7)
    back = source_map.set_values(edited, {"n_embd": 16, "beta2": 0.95, "seed": 42})
    assert back == SOURCE


def test_set_values_formats_and_round_trips(smap):
    current = {name: info["value"] for name, info in smap["hyperparams"].items()}
    assert source_map.set_values(SOURCE, current) == SOURCE        # 1e-2, 1e-8 keep their spelling
    edited = source_map.set_values(SOURCE, {"learning_rate": 0.003, "eps_adam": 1e-9,
                                            "temperature": 1, "n_layer": 2})
    hp = source_map.source_map(edited)["hyperparams"]
    assert hp["learning_rate"]["text"] == "0.003" and hp["eps_adam"]["text"] == "1e-9"
    assert hp["temperature"]["text"] == "1" and hp["n_layer"]["value"] == 2
    # a changed value is written as repr writes it (without exponent padding): 1e-2 -> 0.01
    assert source_map.set_values(edited, current) == SOURCE.replace(
        "eps_adam = 1e-2, 0.9", "eps_adam = 0.01, 0.9")
    with pytest.raises(KeyError):
        source_map.set_values(SOURCE, {"head_dim": 3})             # not a literal hyperparameter
    with pytest.raises(KeyError):
        source_map.set_values(SOURCE, {"nonsense": 3})
    with pytest.raises(ValueError):
        source_map.set_values(SOURCE, {"learning_rate": float("nan")})


def test_set_values_keeps_line_endings():
    crlf = "n_embd = 16 # a\r\nnum_steps = 5\r\n"
    assert source_map.set_values(crlf, {"num_steps": 50}) == "n_embd = 16 # a\r\nnum_steps = 50\r\n"


# --- highlight ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text", [SOURCE, SOURCE.rstrip("\n"), "", "\n\nx = 1", 'a = """x\n\ny"""\n'])
def test_highlight_rejoins(text):
    lines = highlight.tokens(text)
    expected = text.split("\n")
    if text.endswith("\n") or not text:
        expected = expected[:-1]
    assert ["".join(piece for _, piece in line) for line in lines] == expected
    for line in lines:
        for css, piece in line:
            assert isinstance(css, str) and piece


def test_highlight_classes():
    line = highlight.tokens(SOURCE)[line_of("def rmsnorm") - 1]
    assert ["k", "def"] in line and ["nf", "rmsnorm"] in line
    comment = highlight.tokens(SOURCE)[line_of("# Data:") - 1]
    assert comment == [["c1", LINES[line_of("# Data:") - 1]]]
