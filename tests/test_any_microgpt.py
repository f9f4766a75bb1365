"""Any microgpt.py works, not only this repo's: the training loop's phases are recognised by what
their statements do (py/loop_phases.py), so a file whose comments are plain sentences (the
original's style; fixtures/microgpt-plain-comments.py, with a recursive build_topo nested in
backward()) gets the same phases, parameter-card grad norms and step-through."""
import ast
import sys
import textwrap

import pytest

from tests.conftest import FIXTURES, ROOT, SOURCE

sys.path.insert(0, str(ROOT / "py"))
import inspections   # noqa: E402
import loop_phases   # noqa: E402
import param_stats   # noqa: E402
import runner        # noqa: E402
import source_map    # noqa: E402
import step_trace    # noqa: E402

PLAIN = (FIXTURES / "microgpt-plain-comments.py").read_text()
PLAIN_LINES = PLAIN.split("\n")


def plain_line(fragment):
    [row] = [i + 1 for i, line in enumerate(PLAIN_LINES) if fragment in line]
    return row


def text_of(span, lines=PLAIN_LINES):
    return "\n".join(lines[span[0] - 1:span[1]])


def test_the_fixture_has_no_named_comments():
    named = [line for line in PLAIN_LINES if "#" in line
             and source_map._comment_name(line[line.index("#"):])]
    assert named == []
    assert "def build_topo(" in PLAIN and "Tokenize:" not in PLAIN


def test_plain_comments_give_the_phases_by_their_statements():
    loop = source_map.source_map(PLAIN)["loop"]
    phases = {p["name"]: p for p in loop["phases"]}
    assert list(phases) == ["Tokenize", "Forward", "Backward", "Adam update"]
    assert [p["job"] for p in loop["phases"]] == ["tokenize", "forward", "backward", "adam"]
    assert "tokens = [BOS]" in text_of(phases["Tokenize"]["lines"])
    forward = text_of(phases["Forward"]["lines"])    # the loss is computed inside the forward loop
    assert "gpt(token_id" in forward and "loss = (1 / n) * sum(losses)" in forward
    assert phases["Forward"]["lines"][0] == plain_line("# Forward the tokens")   # its comment too
    assert text_of(phases["Backward"]["lines"]).strip().endswith("loss.backward()")
    adam = text_of(phases["Adam update"]["lines"])
    assert "lr_t =" in adam and "p.data -=" in adam and 'print(f"step' in adam
    assert loop["body"] == [phases["Tokenize"]["lines"][0], phases["Adam update"]["lines"][1]]


def test_this_repos_named_comments_still_name_the_phases():
    phases = source_map.source_map(SOURCE)["loop"]["phases"]
    assert [(p["name"], p["job"]) for p in phases] == [
        ("Tokenize", "tokenize"), ("Forward", "forward"), ("Loss", "loss"),
        ("Backward", "backward"), ("Adam update", "adam")]


def phases_of(body):
    source = "num_steps = 3\nfor step in range(num_steps):\n" + textwrap.indent(textwrap.dedent(body), "    ")
    tree, lines, _ = source_map.parse(source)
    return [(p["name"], p["job"], p["lines"]) for p in
            source_map.loop_phases(tree, source_map.training_loop(tree), lines)]


def test_one_paragraph_is_cut_where_the_job_changes():
    # no blank line, no comment: the statements alone tell the phases apart
    assert phases_of("""\
        doc = docs[step % len(docs)]
        tokens = [BOS] + [uchars.index(ch) for ch in doc] + [BOS]
        keys, values = [[]], [[]]
        logits = [gpt(t, i, keys, values) for i, t in enumerate(tokens[:-1])]
        loss = sum(-softmax(l)[t].log() for l, t in zip(logits, tokens[1:]))
        loss.backward()
        lr_t = 0.01
        for p in params:
            p.data -= lr_t * p.grad
        print(step)
    """) == [("Tokenize", "tokenize", [3, 4]), ("Forward", "forward", [5, 7]),
             ("Backward", "backward", [8, 8]), ("Adam update", "adam", [9, 12])]


def test_a_named_comment_of_no_known_job_keeps_its_phase():
    assert phases_of("""\
        x = step

        # Log: what happened
        print(x)
        loss.backward()
    """) == [("", None, [3, 3]), ("Log", "backward", [5, 7])]
    assert [p[0] for p in phases_of("print(step)\n# First: one\ny = 1\n# Second: two\nz = 2\n")] == \
        ["", "First", "Second"]


def test_a_renamed_model_function_is_still_the_forward():
    tree = ast.parse("def model(t):\n    return state_dict['wte'][t]\n")
    assert loop_phases.model_functions(tree) == {"gpt", "model"}


@pytest.fixture
def plain_run(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "input.txt").write_text((FIXTURES / "names-small.txt").read_text())
    param_stats.forget()
    run = runner.Run(source_map.set_values(PLAIN, {"num_steps": 5}), lambda line: None)
    inspections.watch(run)
    run.start()
    yield run
    run.close()


def test_the_plain_file_trains_phase_by_phase_with_grad_norms(plain_run):
    snapshots = [plain_run.step() for _ in range(2)]
    for s in snapshots:
        assert [(p["name"], p["job"]) for p in s["phases"]] == [
            ("Tokenize", "tokenize"), ("Forward", "forward"), ("Backward", "backward"),
            ("Adam update", "adam")]
        assert s["loss"] > 0 and s["lines"] == [f"step {s['step']:4d} /    5 | loss {s['loss']:.4f}"]
    g = plain_run.globals
    assert all(p.grad == 0 for p in g["params"])              # Adam zeroed them ...
    stats = inspections.answer("params", g, plain_run.source, {"bins": 8})
    assert all(s["grad_step"] == 2 for s in stats.values())   # ... after the hook read them
    assert stats["wte"]["grad_norm"] > 0 and stats["lm_head"]["grad_norm"] > 0


def test_step_through_enters_build_topo(plain_run):
    plain_run.step()
    g = plain_run.globals
    grads = [p.grad for p in g["params"]]
    result = step_trace.record(g, plain_run.source, what="backward", text="emma")
    assert [p.grad for p in g["params"]] == grads
    events = result["events"]
    assert events[0]["line"] == plain_line("    loss.backward()") and events[0]["depth"] == 0
    assert events[1]["fn"] == "backward" and events[1]["depth"] == 1
    topo = [e for e in events if e["fn"] == "build_topo"]
    start, end = source_map.source_map(PLAIN)["defs"]["Value.backward.build_topo"]
    assert topo and all(start <= e["line"] <= end for e in topo)
    assert topo[0]["depth"] == 2 and max(e["depth"] for e in topo) > 10   # it recurses, level by level
    assert any(e["line"] == plain_line("child.grad += local_grad * node.grad") for e in events)
    assert sys.gettrace() is None


def test_step_through_forward_works_on_the_plain_file(plain_run):
    plain_run.step()
    result = step_trace.record(plain_run.globals, plain_run.source, what="forward", text="emma", pos=1)
    assert {e["fn"] for e in result["events"]} == {"gpt", "rmsnorm", "linear", "softmax"}
