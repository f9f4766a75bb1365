"""py/runner.py and py/bridge.py: running microgpt.py step by step, and the JSON ops around it
(CPython; the same code runs in Pyodide). The source map, set_values and highlighting: test_source_map.py."""

import gc
import json
import math
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "py"))

import bridge       # noqa: E402
import highlight    # noqa: E402  (the bridge's highlight op is compared with it)
import runner       # noqa: E402
import source_map   # noqa: E402

from tests.conftest import SOURCE, line_of  # noqa: E402


@pytest.fixture
def in_data_dir(tmp_path, monkeypatch):
    shutil.copy(ROOT / "input.txt", tmp_path / "input.txt")
    monkeypatch.chdir(tmp_path)
    return tmp_path


# --- runner -------------------------------------------------------------------------------------

def start_python(source, cwd):
    """`python microgpt.py` on source, in cwd, started in the background."""
    (cwd / "microgpt.py").write_text(source)
    return subprocess.Popen([sys.executable, "microgpt.py"], cwd=cwd, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def output_of(process):
    stdout, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    return stdout.split("\n")[:-1]


def python_output(source, cwd):
    return output_of(start_python(source, cwd))


def test_run_matches_python_digit_for_digit(in_data_dir):
    source = source_map.set_values(SOURCE, {"num_steps": 20})
    python = start_python(source, in_data_dir)      # runs alongside, to save time
    streamed = []
    run = runner.Run(source, streamed.append)
    printed = run.start()
    snapshots = []
    while (snapshot := run.step()) is not None:
        snapshots.append(snapshot)
    printed += [line for s in snapshots for line in s["lines"]]
    printed += run.finish()
    assert run.step() is None

    expected = output_of(python)
    assert printed == expected
    assert streamed == expected
    assert len(expected) == 3 + 20 + 2 + 20

    # snapshots: counted, named, timed
    assert [s["step"] for s in snapshots] == list(range(1, 21))
    for s in snapshots:
        assert [p["name"] for p in s["phases"]] == ["Tokenize", "Forward", "Loss", "Backward",
                                                   "Adam update"]
        phase_ms = sum(p["ms"] for p in s["phases"])
        assert phase_ms <= s["ms"] and phase_ms >= 0.9 * s["ms"]
        assert s["num_steps"] == 20 and s["finite"] is True
        assert s["lines"] == [f"step {s['step']:4d} / {20:4d} | loss {s['loss']:.4f}"]
        assert 0 < s["lr_t"] <= 0.01
    assert json.loads(json.dumps(snapshots)) == snapshots
    assert isinstance(run.globals["gpt"], type(lambda: 0))


def test_gc_state_is_restored(in_data_dir):
    source = source_map.set_values(SOURCE, {"num_steps": 1})
    run = runner.Run(source, lambda line: None)
    run.start()
    assert gc.isenabled()
    run.step()
    assert gc.isenabled()
    gc.disable()
    try:
        run.finish()
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_error_in_a_phase(in_data_dir):
    source = SOURCE.replace("loss.backward()", "loss.backward(1, 2)")
    run = runner.Run(source, lambda line: None)
    run.start()
    with pytest.raises(runner.RunError) as info:
        run.step()
    err = info.value
    row = line_of("loss.backward(1, 2)", source)
    assert err.line == row
    assert err.message.startswith("TypeError:")
    assert err.traceback.startswith("Traceback (most recent call last):\n")
    assert f'File "microgpt.py", line {row}, in <module>' in err.traceback
    assert "loss.backward(1, 2)" in err.traceback
    assert "runner.py" not in err.traceback and "bridge" not in err.traceback
    assert err.traceback.rstrip().endswith(err.message)


def test_error_inside_a_function_lists_its_frames(in_data_dir):
    source = SOURCE.replace("scale = (ms + 1e-5) ** -0.5", "scale = (ms + 1e-5) ** -0.5 + undefined")
    run = runner.Run(source, lambda line: None)
    run.start()
    with pytest.raises(runner.RunError) as info:
        run.step()
    err = info.value
    assert err.line == line_of("+ undefined", source)
    frames = re.findall(r'File "microgpt.py", line (\d+), in (\S+)', err.traceback)
    assert frames[0][1] == "<module>"     # then <listcomp> frames before Python 3.12
    assert [name for _, name in frames][-2:] == ["gpt", "rmsnorm"]
    assert "NameError" in err.message and "undefined" in err.message


def test_syntax_error():
    source = SOURCE.replace("def softmax(logits):", "def softmax(logits:")
    with pytest.raises(runner.RunError) as info:
        runner.Run(source, lambda line: None)
    assert info.value.line == line_of("def softmax(logits:", source)
    assert info.value.message.startswith("SyntaxError")
    assert 'File "microgpt.py"' in info.value.traceback


def test_missing_input_txt(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run = runner.Run(SOURCE, lambda line: None)
    with pytest.raises(runner.RunError) as info:
        run.start()
    assert "input.txt" in info.value.message
    assert info.value.line == line_of("raise SystemExit(")
    with pytest.raises(runner.RunError):
        run.step()                                   # never started


SMALL = """\
import random
random.seed(1)
num_steps = 6
total = 0
for step in range(num_steps):
    print("top", step, end=" ")
    print("of step")
    # First: a phase
    if step == 1:
        continue
    for j in range(3):
        if j == 1:
            break
    else:
        print("unreached")
    # Second: another phase
    total += random.random()
    print(f"{total:.6f}")
    if step == 4:
        break
else:
    print("no break")
print("after", total)
"""


def test_break_and_continue_match_python(tmp_path):
    run = runner.Run(SMALL, lambda line: None)
    snapshots = []
    printed = run.start()
    while (snapshot := run.step()) is not None:
        snapshots.append(snapshot)
        printed += snapshot["lines"]
    printed += run.finish()
    assert printed == python_output(SMALL, tmp_path)
    assert len(snapshots) == 5
    assert [p["name"] for p in snapshots[0]["phases"]] == ["", "First", "Second"]
    assert [p["name"] for p in snapshots[1]["phases"]] == ["", "First"]    # continue
    assert "__mgv_flow__" not in run.globals and "__mgv_once__" not in run.globals
    assert snapshots[0]["loss"] is None and snapshots[0]["finite"] is True


def test_loop_else_and_tuple_target(tmp_path):
    source = textwrap.dedent("""\
        num_steps = 3
        for i, (a, b) in enumerate([(num_steps, 1), (2, 3), (4, 5)]):
            print(i, a + b)
        else:
            print("done")
        print("end")
        """)
    assert runner.Run(source, lambda line: None).run_to_end() == python_output(source, tmp_path)


def test_partial_lines_end_with_each_call():
    run = runner.Run("print('a', end='')\nprint('b', end='')\n", lambda line: None)
    assert run.start() == ["ab"]


def test_no_loop_runs_whole_file():
    run = runner.Run("print('hello')\n", lambda line: None)
    assert run.start() == ["hello"]
    assert run.step() is None
    assert run.finish() == []


# --- bridge -------------------------------------------------------------------------------------

def ask(request):
    reply = bridge.handle(json.dumps(request) if not isinstance(request, str) else request)
    assert isinstance(reply, str)
    return json.loads(reply)


def test_bridge_never_raises():
    for bad in ["", "not json", "[]", "{}", '{"op": "fly"}', '{"op": "highlight"}',
                json.dumps({"op": "set_values", "source": SOURCE, "values": {"zzz": 1}}),
                json.dumps({"op": "source_map", "source": "def (:"})]:
        reply = ask(bad)
        assert set(reply["error"]) == {"message", "traceback", "line"}, bad
    assert ask({"op": "source_map", "source": "x = (\n"})["error"]["line"] == 1
    ask({"op": "stop"})
    assert "error" in ask({"op": "step"})


def test_bridge_source_ops():
    assert ask({"op": "source_map", "source": SOURCE})["source_map"] == \
        json.loads(json.dumps(source_map.source_map(SOURCE)))
    assert ask({"op": "highlight", "source": SOURCE})["tokens"] == highlight.tokens(SOURCE)
    reply = ask({"op": "set_values", "source": SOURCE, "values": {"num_steps": 3}})
    assert reply["source"] == source_map.set_values(SOURCE, {"num_steps": 3})
    assert reply["source_map"]["hyperparams"]["num_steps"]["value"] == 3
    assert len(reply["tokens"]) == len(highlight.tokens(SOURCE))


def test_bridge_run(in_data_dir):
    written = []
    bridge.set_writer(written.append)
    try:
        source = source_map.set_values(SOURCE, {"num_steps": 2})
        started = ask({"op": "new_run", "source": source})
        assert started["lines"][0].startswith("num docs:") and started["num_steps"] == 2
        first = ask({"op": "step"})
        assert first["step"] == 1 and math.isfinite(first["loss"])
        assert ask({"op": "step"})["step"] == 2
        assert ask({"op": "step"}) == {"done": True}
        finished = ask({"op": "finish"})
        assert finished["lines"][1] == "--- inference ---" and len(finished["lines"]) == 22
        assert written == started["lines"] + first["lines"] + [f"step    2 /    2 | loss "
                                                               f"{written[4][-6:]}"] + finished["lines"]
        assert ask({"op": "stop"}) == {"stopped": True}
    finally:
        bridge.set_writer(None)


def test_bridge_nan_and_errors(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    nan_source = "num_steps = 2\nfor step in range(num_steps):\n    # Loss: none\n    loss = float('nan')\n"
    ask({"op": "new_run", "source": nan_source})
    reply = ask({"op": "step"})
    assert reply["loss"] is None and reply["finite"] is False and reply["nonfinite"] == ["loss"]

    reply = ask({"op": "new_run", "source": SOURCE})          # no input.txt here
    assert "input.txt" in reply["error"]["message"] and reply["error"]["line"] == line_of("raise SystemExit(")
    assert "error" in ask({"op": "step"})                      # the failed run was not kept
    reply = ask({"op": "new_run", "source": "print('a')\nprint(1/0)\n"})
    assert reply["error"]["line"] == 2 and reply["lines"] == ["a"]
    assert reply["error"]["message"] == "ZeroDivisionError: division by zero"


def test_only_floats_leaving_their_range_count_as_numbers_blowing_up(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cases = {"1 / 0": False, "[0] * 10**20": False, "int('x')": False,
             "math.exp(1000)": True, "math.log(0.0)": True, "1e200 ** 2": True}
    for expression, blew_up in cases.items():
        reply = ask({"op": "new_run", "source": f"import math\nnum_steps = 1\nfor step in range(num_steps):\n    x = {expression}\n"})
        reply = ask({"op": "step"})
        assert reply["error"]["numeric"] is blew_up, (expression, reply["error"]["message"])


def test_a_flood_of_printed_lines_is_cut_to_its_last_lines(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    ask({"op": "new_run", "source": "num_steps = 1\nfor step in range(num_steps):\n    for i in range(12000):\n        print('x', i)\n"})
    reply = ask({"op": "step"})
    assert len(reply["lines"]) == bridge.LINES_KEPT and reply["lines_dropped"] == 12000 - bridge.LINES_KEPT
    assert reply["lines"][-1] == "x 11999" and reply["lines"][0] == f"x {12000 - bridge.LINES_KEPT}"
