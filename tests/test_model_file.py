"""Saving and loading a trained model (py/model_file.py and the bridge's load_model), in CPython."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py"))

import bridge       # noqa: E402
import model_file   # noqa: E402
import source_map   # noqa: E402

SOURCE = (ROOT / "microgpt.py").read_text()
SMALL = source_map.set_values(SOURCE, {"num_steps": 3, "n_embd": 8, "n_head": 2})
DATA = "Ada\nBo Li\nCé\nzed\n"


def call(**request):
    return json.loads(bridge.handle(json.dumps(request)))


@pytest.fixture
def trained(tmp_path, monkeypatch):
    """A 3-step run on DATA, and its model file as text."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "input.txt").write_text(DATA, encoding="utf-8")
    assert "error" not in call(op="new_run", source=SMALL)
    for _ in range(3):
        assert "error" not in call(op="step")
    model = call(op="inspect", kind="export_model", args={"data": {"id": "custom", "name": "Pasted text"}})
    assert "error" not in model, model
    samples = call(op="inspect", kind="samples", args={"count": 5})
    yield json.dumps(model), samples
    call(op="stop")


def test_export_has_config_vocabulary_steps_and_weights(trained):
    model = json.loads(trained[0])
    assert model["format"] == "microgpt-viz model" and model["version"] == 1
    assert model["steps"] == 3
    assert model["config"]["n_embd"] == 8 and model["config"]["seed"] == 42 and model["config"]["num_steps"] == 3
    assert model["uchars"] == sorted(set("AdaBo LiCézed") - {"\n"})
    assert model["vocab_size"] == len(model["uchars"]) + 1
    assert model["data"] == {"id": "custom", "name": "Pasted text"}
    assert len(model["weights"]["wte"]) == model["vocab_size"] and len(model["weights"]["wte"][0]) == 8


@pytest.mark.parametrize("with_data", [True, False])
def test_a_loaded_model_samples_what_the_saved_one_did(trained, tmp_path, with_data):
    text, samples = trained
    call(op="stop")
    (tmp_path / "input.txt").write_text("something else\n")
    reply = call(op="load_model", source=SMALL, model=text, data=DATA if with_data else None)
    assert "error" not in reply, reply
    assert reply["steps"] == 3 and reply["own_data"] is with_data
    assert reply["vocab_size"] == json.loads(text)["vocab_size"]
    assert call(op="inspect", kind="samples", args={"count": 5}) == samples
    # saving it again gives the same file: same weights, same step count
    assert call(op="inspect", kind="export_model", args={"data": {"id": "custom", "name": "Pasted text"}}) == json.loads(text)


def test_vocabulary_text_gives_back_the_vocabulary():
    uchars = sorted(" -.Aaé♀")
    docs = [line.strip() for line in model_file.vocabulary_text(uchars).strip().split("\n") if line.strip()]
    assert sorted(set("".join(docs))) == uchars


def damaged(text, change):
    model = json.loads(text)
    change(model)
    return json.dumps(model)


@pytest.mark.parametrize("change, message", [
    (None, "not JSON"),
    (lambda m: m.update(format="something"), "not a microgpt-viz model file"),
    (lambda m: m.update(version=2), "version 2"),
    (lambda m: m.update(steps=-1), "step count"),
    (lambda m: m["uchars"].reverse(), "vocabulary"),
    (lambda m: m.update(vocab_size=5), "vocab_size is 5"),
    (lambda m: m["weights"]["wte"][0].__setitem__(0, "x"), "weights of wte"),
    (lambda m: m["weights"]["wte"][1].pop(), "weights of wte"),
    (lambda m: m["config"].update(n_embd=16, n_head=2), "n_embd is 16 in the file, 8 here"),
    (lambda m: m["weights"].pop("lm_head"), "lacks lm_head"),
    (lambda m: m["weights"].update({"layer1.attn_wq": [[0.0]]}), "layer1.attn_wq"),
    (lambda m: m["weights"].update(wte=[row[:4] for row in m["weights"]["wte"]]), "wte is"),
])
def test_a_damaged_or_different_file_gets_a_clear_message(trained, change, message):
    text = trained[0][:-20] if change is None else damaged(trained[0], change)
    reply = call(op="load_model", source=SMALL, model=text, data=DATA)
    assert reply["error"]["model_file"] is True
    assert message in reply["error"]["message"]
    assert reply["error"]["traceback"] == ""
    assert "error" in call(op="inspect", kind="samples")    # no half-loaded run is left


def test_a_diverged_model_is_not_saved(trained):
    bridge._run.globals["state_dict"]["wte"][0][0].data = float("nan")
    reply = call(op="inspect", kind="export_model")
    assert "diverged" in reply["error"]["message"]
