"""py/step_trace.py against microgpt.py's own gpt() and backward(), in CPython."""
import sys

import pytest

from tests.conftest import ROOT, SOURCE, load, traced_gpt

sys.path.insert(0, str(ROOT / "py"))
import inspections   # noqa: E402
import source_map    # noqa: E402
import step_trace    # noqa: E402
import step_values   # noqa: E402

INPUT = (ROOT / "input.txt").read_text()
NAME = "olivia"


@pytest.fixture(scope="module")
def g(tmp_path_factory):
    return load(tmp_path_factory.mktemp("model"), INPUT)


def test_forward_visits_gpt_lines_in_order_with_their_values(g):
    pos = 3
    result = inspections.answer("step_trace", g, SOURCE, {"what": "forward", "text": NAME, "pos": pos})
    events = result["events"]
    expected, _, logits = traced_gpt(g, NAME, pos)
    assert [e["line"] for e in events if e["depth"] == 0] == expected
    assert {e["fn"] for e in events} == {"gpt", "rmsnorm", "linear", "softmax"}
    assert all(e["depth"] == 1 for e in events if e["fn"] != "gpt")   # helpers call no helper
    assert not result["cut"] and sys.gettrace() is None

    sm = source_map.source_map(SOURCE)
    softmax_line = sm["anchors"]["attn_softmax"][0]
    heads = [e for e in events if e["line"] == softmax_line]
    assert [e["head"] for e in heads] == list(range(g["n_head"]))
    assert all(e["block"] == "attn_softmax" and e["layer"] == 0 for e in heads)
    for e in heads:
        weights = dict(e["values"])["attn_weights"]
        assert len(weights) == pos + 1 and abs(sum(weights) - 1) < 1e-12

    # the last line returns the logits gpt() really returned, as numbers
    returned = [dict(e["values"]).get("returns") for e in events if e["fn"] == "gpt" and e.get("values")]
    final = [r for r in returned if r is not None][-1]
    assert final == [l.data for l in logits]


def test_values_are_summarized_and_the_recording_is_bounded(g, monkeypatch):
    summary = step_values.Summary(g["Value"])
    V = g["Value"]
    assert summary.of(V(2.5)) == 2.5 and summary.of(3) == 3
    assert summary.of([V(1.0), V(2.0)]) == [1.0, 2.0]
    long = summary.of([V(float(i)) for i in range(100)])
    assert long == {"shape": [100], "first": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "count": 100}
    nested = summary.of([[V(1.0)] * 4] * 3)
    assert nested["shape"] == [3, 4] and nested["count"] == 12
    assert summary.of("emma") == {"text": "'emma'"}
    assert summary.of(len) is None

    monkeypatch.setattr(step_trace, "MAX_EVENTS", 20)
    result = step_trace.forward(g, SOURCE, NAME, 2)
    assert len(result["events"]) == 20 and result["cut"]
    assert any("stopped after 20 lines" in note for note in result["notes"])


def test_backward_is_recorded_and_leaves_the_run_untouched(g):
    import random
    params = g["params"]
    for i, p in enumerate(params[:50]):
        p.grad = 0.001 * i                       # whatever the run had: it must come back
    grads = [p.grad for p in params]
    data = [p.data for p in params]
    state = random.getstate()
    result = step_trace.record(g, SOURCE, what="backward", text=NAME)
    assert [p.grad for p in params] == grads and [p.data for p in params] == data
    assert random.getstate() == state and sys.gettrace() is None
    events = result["events"]
    backward_line = SOURCE.split("\n").index("    loss.backward()") + 1
    assert events[0]["line"] == backward_line and events[0]["depth"] == 0
    assert events[1]["fn"] == "backward" and events[1]["depth"] == 1
    start, end = source_map.source_map(SOURCE)["defs"]["Value.backward"]
    assert all(start <= e["line"] <= end for e in events[1:])
    # the loops run ~a million lines; each line is kept at most MAX_PER_LINE times
    counts = {}
    for e in events:
        counts[e["line"]] = counts.get(e["line"], 0) + 1
    assert max(counts.values()) <= step_trace.MAX_PER_LINE
    assert result["skipped"] > 0 and result["notes"]
    assert result["nodes"] > 1000
    for p in params:
        p.grad = 0


def test_errors_are_said_plainly(g):
    from forward_trace import ForwardError
    with pytest.raises(ForwardError, match="does not know"):
        step_trace.forward(g, SOURCE, "Zoë", 0)
    broken = dict(g)
    del broken["state_dict"]
    with pytest.raises(inspections.ViewError, match="has no `state_dict`"):
        inspections.answer("params", broken, SOURCE, {})
