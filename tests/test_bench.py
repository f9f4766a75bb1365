"""scripts/bench.py --quick runs and writes a complete, well-formed report (not that it is fast)."""
import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
@pytest.mark.e2e
def test_quick_benchmark_writes_a_complete_report(tmp_path):
    # written aside, so the committed docs/performance.md keeps its full run
    subprocess.run([sys.executable, str(ROOT / 'scripts' / 'bench.py'), '--quick', '--json', str(tmp_path / 'bench.json'),
                    '--report', str(tmp_path / 'performance.md')], check=True, timeout=600, capture_output=True, text=True)
    r = json.loads((tmp_path / 'bench.json').read_text())
    for name in ('cpython', 'cpython_gc_off', 'node_pyodide', 'browser_app', 'browser_python'):
        assert r['steps'][name] > 0, name
    b = r['browser']
    for label in ('load_cold', 'load_warm'):
        assert 0 < b[label]['code_readable_s'] <= b[label]['python_ready_s']
    assert len(b['memory']) == 2
    assert all(0 < m['heap_bytes'] < m['wasm_bytes'] for m in b['memory'].values())
    # the terminal timed before and after the browser; every cold served start kept
    assert len(r['steps']['cpython_samples']) == 2 and min(r['steps']['cpython_samples']) <= r['steps']['cpython']
    assert len(b['load_cold']['python_ready_runs_s']) == 1 + len(r['load_ways']['chromium']['served'])
    assert b['frames_per_s'] > 0 and b['longest_task_ms'] >= 0
    assert r['size']['zip_bytes'] > 0 and r['size']['site_bytes'] > r['size']['zip_bytes']
    for browser in ('chromium', 'firefox'):
        assert set(r['load_ways'][browser]) == {'served', 'file'}
    report = (tmp_path / 'performance.md').read_text()
    for heading in ('## Targets', '## Training speed', '## Load', '## Time to ready', '## Size',
                    '## Memory and smoothness', '## What each change did, before → after'):
        assert heading in report
    targets = report.split('## Targets')[1].split('##')[0]
    assert targets.count(' met |') + targets.count('**not met** |') == 8
