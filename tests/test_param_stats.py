"""py/param_stats.py: statistics of the state_dict matrices, and gradient norms kept per step."""
import math
import statistics
import sys

import pytest

from tests.conftest import FIXTURES, ROOT, SOURCE, forward_loss, load

sys.path.insert(0, str(ROOT / "py"))
import inspections  # noqa: E402
import param_stats  # noqa: E402
import runner       # noqa: E402


@pytest.fixture
def g(tmp_path):
    param_stats.forget()
    return load(tmp_path, (FIXTURES / "names-small.txt").read_text())


def test_shapes_counts_and_stats_match_state_dict(g):
    stats = param_stats.param_stats(g, SOURCE, bins=16)
    assert list(stats) == list(g["state_dict"])
    assert sum(s["count"] for s in stats.values()) == len(g["params"])
    for name, mat in g["state_dict"].items():
        s, values = stats[name], [p.data for row in mat for p in row]
        assert s["shape"] == [len(mat), len(mat[0])]
        assert s["count"] == len(mat) * len(mat[0])
        assert s["mean"] == pytest.approx(statistics.fmean(values), abs=1e-15)
        assert s["std"] == pytest.approx(statistics.pstdev(values), rel=1e-9, abs=1e-15)
        assert (s["min"], s["max"]) == (min(values), max(values))
        assert len(s["histogram"]) == 16 and sum(s["histogram"]) == s["count"]
        assert s["grad_norm"] is None and s["grad_step"] is None   # no step yet


def test_init_std_read_from_the_source(g):
    stats = param_stats.param_stats(g, SOURCE)
    for name, s in stats.items():
        zero = name.endswith(("attn_wo", "mlp_fc2"))
        assert s["init_std"] == (0.0 if zero else 0.02), name
        if zero:
            assert s["min"] == s["max"] == 0.0
    # the lambda's default and an explicit std= are both followed
    edited = SOURCE.replace("std=0.02:", "std=0.05:").replace("matrix(n_embd, n_embd, std=0)", "matrix(n_embd, n_embd, std=0.1)")
    assert edited != SOURCE
    stats = param_stats.param_stats(g, edited)
    assert stats["wte"]["init_std"] == 0.05
    assert stats["layer0.attn_wo"]["init_std"] == 0.1
    assert stats["layer0.mlp_fc2"]["init_std"] == 0.0


def test_remember_grad_norms_matches_a_direct_computation(g):
    loss = forward_loss(g, "emma")
    loss.backward()
    g["step"] = 4
    param_stats.remember_grad_norms(g)
    stats = param_stats.param_stats(g, SOURCE)
    for name, mat in g["state_dict"].items():
        direct = math.sqrt(math.fsum(p.grad ** 2 for row in mat for p in row))
        assert stats[name]["grad_norm"] == pytest.approx(direct, rel=1e-12, abs=1e-300)
        assert stats[name]["grad_step"] == 5
    assert stats["wte"]["grad_norm"] > 0 and stats["lm_head"]["grad_norm"] > 0


def test_norms_of_another_run_are_not_shown(g, tmp_path):
    loss = forward_loss(g, "emma")
    loss.backward()
    g["step"] = 0
    param_stats.remember_grad_norms(g)
    (tmp_path / "other").mkdir()
    other = load(tmp_path / "other", (FIXTURES / "names-small.txt").read_text())
    assert all(s["grad_norm"] is None for s in param_stats.param_stats(other, SOURCE).values())


def test_the_runner_hook_keeps_the_norms_adam_zeroes(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "input.txt").write_text((FIXTURES / "names-small.txt").read_text())
    param_stats.forget()
    run = runner.Run(SOURCE, lambda line: None)
    inspections.watch(run)
    run.start()
    run.step()
    run.step()
    g = run.globals
    assert all(p.grad == 0 for p in g["params"])   # Adam zeroed them
    stats = inspections.answer("params", g, SOURCE, {"bins": 8})
    assert all(s["grad_step"] == 2 for s in stats.values())
    assert stats["wte"]["grad_norm"] > 0
    assert len(stats["wte"]["histogram"]) == 8
    run.close()
