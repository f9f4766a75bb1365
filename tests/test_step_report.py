"""py/step_report.py: what each training step did, read from microgpt.py's own variables after
each phase (the Training tab's breakdown), for this repo's microgpt.py and for the plain one."""
import json
import math
import sys

import pytest

from tests.conftest import FIXTURES, ROOT, SOURCE

sys.path.insert(0, str(ROOT / "py"))
import bridge        # noqa: E402
import inspections   # noqa: E402
import runner        # noqa: E402
import source_map    # noqa: E402

PLAIN = (FIXTURES / "microgpt-plain-comments.py").read_text()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "input.txt").write_text((FIXTURES / "names-small.txt").read_text())
    return tmp_path


def watched(source):
    run = runner.Run(source_map.set_values(source, {"num_steps": 5}), lambda line: None)
    inspections.watch(run)
    # what the test itself reads, around the same phases: .data after backward() and after Adam
    seen = {}
    backward, adam = run.after_phase["backward"], run.after_phase["adam"]

    def after_backward(g):
        backward(g)
        seen["before"] = {n: [p.data for row in m for p in row] for n, m in g["state_dict"].items()}
        seen["grads"] = {n: [p.grad for row in m for p in row] for n, m in g["state_dict"].items()}

    def after_adam(g):
        adam(g)
        seen["after"] = {n: [p.data for row in m for p in row] for n, m in g["state_dict"].items()}
    run.after_phase.update(backward=after_backward, adam=after_adam)
    run.start()
    return run, seen


@pytest.mark.parametrize("source", [SOURCE, PLAIN], ids=["named-comments", "plain-comments"])
def test_the_report_holds_the_steps_own_numbers(data_dir, source):
    run, seen = watched(source)
    for _ in range(3):
        snapshot = run.step()
        report = inspections.step_report_of(run)
    g = run.globals
    # Tokenize: the document and its tokens, as microgpt.py made them
    assert report["doc"] == g["doc"]
    assert [t["id"] for t in report["tokens"]] == g["tokens"] and report["token_count"] == len(g["tokens"])
    assert [t["text"] for t in report["tokens"]] == [None] + list(g["doc"]) + [None]   # None: BOS
    # Forward/Loss: per position, the target, its probability and the loss
    positions = report["positions"]
    assert len(positions) == len(g["losses"]) == min(g["block_size"], len(g["tokens"]) - 1)
    assert [p["loss"] for p in positions] == [v.data for v in g["losses"]]
    assert math.fsum(p["loss"] for p in positions) / len(positions) == pytest.approx(snapshot["loss"], rel=1e-12)
    for p in positions:
        assert p["target"]["id"] == g["tokens"][p["pos"] + 1] and p["input"]["id"] == g["tokens"][p["pos"]]
        assert p["p"] == pytest.approx(math.exp(-p["loss"]), rel=1e-9)
    # Backward: each matrix's gradient norm, read before Adam zeroed the grads
    assert [m["name"] for m in report["grads"]] == list(g["state_dict"])
    for m in report["grads"]:
        grads = seen["grads"][m["name"]]
        assert m["count"] == len(grads)
        assert m["norm"] == pytest.approx(math.sqrt(math.fsum(x * x for x in grads)), rel=1e-12, abs=1e-300)
    assert all(p.grad == 0 for p in g["params"])
    # Adam: how far each matrix moved, and lr_t
    assert report["lr_t"] == g["lr_t"] == snapshot["lr_t"]
    for m in report["updates"]:
        before, after = seen["before"][m["name"]], seen["after"][m["name"]]
        direct = math.fsum(abs(a - b) for a, b in zip(after, before)) / len(after)
        assert m["mean_abs"] == pytest.approx(direct, rel=1e-9, abs=1e-300)
    moved = {m["name"]: m["mean_abs"] for m in report["updates"]}
    assert moved["wte"] > 0 and moved["lm_head"] > 0
    assert report["notes"] == {}
    run.close()


def test_the_probability_is_read_from_the_graph_not_recomputed(data_dir):
    run, _ = watched(SOURCE)
    run.step()
    report = inspections.step_report_of(run)
    g = run.globals
    for p, logits in zip(report["positions"], g["logits"]):   # this repo's file keeps every position's logits
        assert p["p"] == g["softmax"](logits)[p["target"]["id"]].data
    run.close()


def test_an_edit_without_those_names_says_so_and_trains_on(data_dir):
    edited = SOURCE.replace("losses", "per_position").replace("tokens", "ids")
    run, _ = watched(edited)
    snapshot = run.step()
    report = inspections.step_report_of(run)
    assert snapshot["loss"] > 0
    assert report["tokens"] is None and report["positions"] is None
    assert "tokens" in report["notes"] and "losses" in report["notes"]["positions"]
    assert report["grads"] and report["updates"]
    run.close()


def test_a_reshaped_state_dict_leaves_the_step_alone(data_dir):
    run = runner.Run(source_map.set_values(SOURCE, {"num_steps": 5}), lambda line: None)
    inspections.watch(run)
    run.start()
    run.step()
    inspections.step_report_of(run)
    run.globals["state_dict"] = {"wte": 3}        # not a matrix any more
    run.after_phase["backward"](run.globals)      # as after a step's backward(): no exception
    report = inspections.step_report_of(run)
    assert report["grads"] is None and "state_dict" in report["notes"]["grads"]
    run.close()


def test_the_bridge_sends_the_breakdown_with_each_step(data_dir):
    source = source_map.set_values(SOURCE, {"num_steps": 2})
    json.loads(bridge.handle(json.dumps({"op": "new_run", "source": source})))
    reply = json.loads(bridge.handle(json.dumps({"op": "step"})))
    breakdown = reply["breakdown"]
    assert breakdown["doc"] and len(breakdown["positions"]) >= 1 and len(breakdown["grads"]) == 9
    assert len(json.dumps(breakdown)) < 4000      # small enough to send every step
    bridge.handle(json.dumps({"op": "stop"}))
