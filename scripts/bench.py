"""Measures what a learner feels, side by side on this machine, and writes the report.

    python3 scripts/bench.py [--quick]

Writes dist/bench.json and docs/performance.md. --quick uses shorter windows (under 3 minutes).
Run scripts/build.py first (scripts/test.py does). Needs playwright and Debian's chromium.

- ms per training step at the defaults, median over a window of steps: `python3 microgpt.py` as a
  user runs it, the same with the garbage collector off, Pyodide under Node, and Pyodide in
  Chromium through the app; the app's overhead against the same worker running bare steps.
- Load: navigation -> code pane readable -> Python ready, cold and warm, served and file://.
- Size of the site, the zip and their parts; the worker's memory at two steps; the longest
  main-thread task and the frame rate during training.
"""
import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts import build  # noqa: E402
from scripts.measure_load import CHROMIUM_FLAGS, LOAD_PROBE, serve  # noqa: E402

SITE = ROOT / 'dist' / 'site'
STEP = re.compile(r'^step\s+(\d+) /')


def with_steps(num_steps):
    """microgpt.py with num_steps rewritten (the only change)."""
    source = (ROOT / 'microgpt.py').read_text()
    return re.sub(r'^num_steps = \d+', f'num_steps = {num_steps}', source, count=1, flags=re.M)


def median_step_ms(times, window):
    """Median gap between consecutive step lines, over the steps in window (1-based, inclusive)."""
    gaps = [(times[s] - times[s - 1]) * 1000 for s in range(window[0], window[1] + 1) if s - 1 in times]
    return statistics.median(gaps)


def native_ms(window, gc_off=False):
    """`python3 microgpt.py`, timed line by line as its step lines appear."""
    with tempfile.TemporaryDirectory() as folder:
        shutil.copyfile(ROOT / 'input.txt', Path(folder) / 'input.txt')
        (Path(folder) / 'microgpt.py').write_text(with_steps(window[1]))
        cmd = [sys.executable, '-u', 'microgpt.py']
        if gc_off:
            cmd = [sys.executable, '-u', '-c',
                   "import gc; gc.disable(); exec(compile(open('microgpt.py').read(), 'microgpt.py', 'exec'))"]
        proc = subprocess.Popen(cmd, cwd=folder, stdout=subprocess.PIPE, text=True)
        times = {}
        for line in proc.stdout:
            m = STEP.match(line)
            if m:
                times[int(m.group(1))] = time.perf_counter()
            if line.startswith('--- inference'):
                proc.kill()
                break
        proc.wait()
    return median_step_ms(times, window)


NODE_RUNNER = r"""
import { pathToFileURL } from 'node:url';
import { readFileSync } from 'node:fs';
const [dir, folder] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(dir + '/pyodide.mjs'));
const times = {};
const pyodide = await loadPyodide({ indexURL: dir + '/', stdout: (line) => {
  const m = /^step\s+(\d+) \//.exec(line);
  if (m) times[m[1]] = performance.now();
}});
pyodide.FS.writeFile('input.txt', readFileSync(folder + '/input.txt'));
pyodide.runPython(readFileSync(folder + '/microgpt.py', 'utf8').split('\n# Sampling')[0]);
console.log('TIMES ' + JSON.stringify(times));
"""


def node_ms(window):
    """Pyodide under Node running microgpt.py's training as a plain script."""
    node = shutil.which('node')
    if not node:
        return None
    with tempfile.TemporaryDirectory() as folder:
        shutil.copyfile(ROOT / 'input.txt', Path(folder) / 'input.txt')
        (Path(folder) / 'microgpt.py').write_text(with_steps(window[1]))
        (Path(folder) / 'run.mjs').write_text(NODE_RUNNER)
        out = subprocess.run([node, 'run.mjs', str(build.runtime_dir()), folder], cwd=folder,
                             capture_output=True, text=True, timeout=900).stdout
    line = next(l for l in out.splitlines() if l.startswith('TIMES '))
    times = {int(k): v / 1000 for k, v in json.loads(line[6:]).items()}
    return median_step_ms(times, window)


# Collected in the page: when each snapshot arrived, the longest main-thread task, frames drawn.
PAGE_PROBE = """
window.__bench = {arrivals: [], longest: 0, frames: 0, counting: false};
new PerformanceObserver((list) => { for (const e of list.getEntries())
  if (window.__bench.counting) window.__bench.longest = Math.max(window.__bench.longest, e.duration); })
  .observe({type: 'longtask', buffered: false});
(function frame() { if (window.__bench.counting) window.__bench.frames++; requestAnimationFrame(frame); })();
"""


def browser(window, memory_steps, smooth_seconds):
    """The app in headless Chromium: load, ms per step, overhead, memory, smoothness."""
    from playwright.sync_api import sync_playwright
    url, server = serve(SITE)
    result = {}
    try:
        with sync_playwright() as p:
            chromium = p.chromium.launch(executable_path=shutil.which('chromium'), args=CHROMIUM_FLAGS)
            context = chromium.new_context(viewport={'width': 1440, 'height': 900})
            page = context.new_page()
            page.add_init_script(LOAD_PROBE)
            # times on the page's own clock, from the start of navigation
            for label in ('cold', 'warm'):
                page.goto(url) if label == 'cold' else page.reload()
                page.wait_for_selector('body[data-state="ready"]', timeout=120_000)
                times = page.evaluate('window.__loadTimes')
                result[f'load_{label}'] = {'code_readable_s': round(times['readable'] / 1000, 3),
                                           'python_ready_s': round(times['ready'] / 1000, 3)}
            page.evaluate(PAGE_PROBE)
            last = max(window[1], memory_steps[1])
            page.get_by_label('num_steps', exact=True).fill(str(last))
            # (void: evaluate() would call a returned function, here the unsubscribe)
            page.evaluate("""void MGV.store.subscribe((state, keys) => {
                if (keys.includes('snapshots') && state.snapshots.length) window.__bench.arrivals.push(performance.now()); })""")
            page.get_by_role('button', name='Train').click()
            page.wait_for_selector('body[data-state="training"]')
            page.evaluate('window.__bench.counting = true')
            page.wait_for_timeout(smooth_seconds * 1000)   # a fixed window to count frames in
            smooth = page.evaluate('({longest: window.__bench.longest, frames: window.__bench.frames})')
            page.evaluate('window.__bench.counting = false')
            page.wait_for_selector('body[data-state="ready"]', timeout=900_000)
            arrivals = page.evaluate('window.__bench.arrivals')
            snaps = page.evaluate('MGV.store.state.snapshots.map(s => [s.step, s.ms, s.heap_bytes, s.wasm_bytes])')
            times = {i + 1: t / 1000 for i, t in enumerate(arrivals)}
            result['app_ms_per_step'] = median_step_ms(times, window)
            result['python_ms_per_step'] = statistics.median(ms for step, ms, _, _ in snaps if window[0] <= step <= window[1])
            result['memory'] = {f'step_{s}': memory_at(snaps, s) for s in memory_steps}
            result['longest_task_ms'] = smooth['longest']
            result['frames_per_s'] = round(smooth['frames'] / smooth_seconds, 1)
            chromium.close()
    finally:
        server.shutdown()
    return result


# The heap after a step holds that step's graph, whose size follows the name's length; the worker
# reads it every 10th step. Each measured step reports the largest heap read in the HEAP_WINDOW
# steps up to it.
HEAP_WINDOW = 50


def memory_at(snaps, step):
    read = {s: (h, w) for s, _, h, w in snaps if h is not None}
    window = [s for s in read if step - HEAP_WINDOW < s <= step]
    return {'heap_bytes': max(read[s][0] for s in window), 'wasm_bytes': read[max(window)][1]}


def sizes():
    site = SITE
    size = lambda d: sum(p.stat().st_size for p in d.rglob('*') if p.is_file())
    parts = {child.name: size(child) if child.is_dir() else child.stat().st_size for child in site.iterdir()}
    return {'site_bytes': size(site), 'zip_bytes': (ROOT / 'dist' / 'microgpt-viz.zip').stat().st_size, 'parts': parts}


def targets(r):
    """[(what, target, measured, met)] for the issue's targets, from the results r."""
    steps, b = r['steps'], r['browser']
    cold = b['load_cold']
    heap = [m['heap_bytes'] for m in b['memory'].values()]
    rows = [('browser ms/step vs `python3 microgpt.py`', '≤ 0.5×', steps['browser_app'] / steps['cpython'], 0.5, '{:.2f}×'),
            ('browser ms/step vs CPython gc off', '≤ 1.6×', steps['browser_app'] / steps['cpython_gc_off'], 1.6, '{:.2f}×'),
            ('app overhead', '≤ 5%', r['overhead_pct'], 5, '{:.1f}%'),
            ('code readable, cold', '≤ 0.5 s', cold['code_readable_s'], 0.5, '{:.2f} s'),
            ('Python ready, cold, served (median of runs)', '≤ 2.0 s', statistics.median(cold['python_ready_runs_s']), 2.0, '{:.2f} s'),
            ('zip', '≤ 10 MB', r['size']['zip_bytes'] / 1e6, 10, '{:.2f} MB'),
            ('longest main-thread task while training', '≤ 50 ms', b['longest_task_ms'], 50, '{:.0f} ms'),
            ('heap in use, growth from step 50 to 500', '≤ 10%', (heap[1] / heap[0] - 1) * 100, 10, '{:.1f}%')]
    return [(what, target, fmt.format(value), value <= limit) for what, target, value, limit, fmt in rows]


CHANGES = ROOT / 'docs' / 'performance-changes.md'   # kept by hand: what each change did, before → after


def report(r):
    """The Markdown table of the results."""
    mb = lambda b: f'{b / 1e6:.2f} MB'
    steps = r['steps']
    lines = ['# Performance', '', f"Measured by `python3 scripts/bench.py{' --quick' if r['quick'] else ''}` "
             f"on {r['machine']}, {r['date']}.", '',
             '## Targets', '', '| | target | measured | |', '|---|---|---|---|']
    lines += [f"| {what} | {target} | {value} | {'met' if met else '**not met**'} |" for what, target, value, met in targets(r)]
    lines += ['', '## Training speed (defaults, median ms per step, steps ' + f"{r['window'][0]}–{r['window'][1]})", '',
             '| runtime | ms/step | vs `python3 microgpt.py` |', '|---|---|---|']
    base = steps['cpython']
    samples = ', '.join(f'{x:.1f}' for x in steps['cpython_samples'])
    for name, label in [('cpython', f'`python3 microgpt.py` (CPython, gc on; mean of before and after the browser: {samples})'),
                        ('cpython_gc_off', 'CPython, gc off'),
                        ('node_pyodide', 'Pyodide under Node (plain script)'), ('browser_app', 'Pyodide in Chromium, through the app'),
                        ('browser_python', 'the same, Python time only')]:
        if steps.get(name):
            lines.append(f'| {label} | {steps[name]:.1f} | {steps[name] / base:.2f}× |')
    b = r['browser']
    lines += ['', f"Browser vs CPython gc off: {steps['browser_app'] / steps['cpython_gc_off']:.2f}×. "
              f"App overhead over the worker's own Python time: {r['overhead_pct']:.1f}%.", '',
              '## Load (Chromium, served)', '', '| | code readable | Python ready |', '|---|---|---|']
    for label in ('cold', 'warm'):
        lines.append(f"| {label} | {b[f'load_{label}']['code_readable_s']} s | {b[f'load_{label}']['python_ready_s']} s |")
    lines += ['', 'Python ready, every cold served start of this run (the target takes their median): ' +
              ', '.join(f'{t:.2f} s' for t in b['load_cold']['python_ready_runs_s']) + '.']
    if r.get('load_ways'):
        from scripts.measure_load import report_lines
        lines += ['', '## Time to ready, each way of opening the zip (unzipped: served, and file://)', '']
        lines += [f'    {line}' for line in report_lines(r['load_ways'])]
    lines += ['', '## Size', '', f"- site {mb(r['size']['site_bytes'])}, zip {mb(r['size']['zip_bytes'])}"]
    lines += [f'- {name}: {mb(n)}' for name, n in sorted(r['size']['parts'].items())]
    mem = b['memory']
    lines += ['', '## Memory and smoothness', '']
    lines += [f"- at {k.replace('_', ' ')}: heap in use {mb(v['heap_bytes'])} (the largest read in the {HEAP_WINDOW} steps up to it), "
              f"wasm memory {mb(v['wasm_bytes'])}" for k, v in mem.items()]
    lines += ["- the heap in use is malloc's own count; the wasm memory is reserved for it, never shrinks and grows "
              "in steps of about 20% to fit the highest peak so far (two steps' graphs are alive while a step runs)"]
    lines += [f"- longest main-thread task while training: {b['longest_task_ms']:.0f} ms; frames: {b['frames_per_s']} per second", '']
    if CHANGES.exists():
        lines += ['## What each change did, before → after', '', CHANGES.read_text().strip(), '']
    return '\n'.join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--quick', action='store_true', help='shorter windows: under 3 minutes')
    ap.add_argument('--json', type=Path, default=ROOT / 'dist' / 'bench.json', help='where the numbers go')
    ap.add_argument('--report', type=Path, default=ROOT / 'docs' / 'performance.md', help='where the table goes')
    args = ap.parse_args()
    window = (6, 25) if args.quick else (11, 70)
    memory_steps = (25, 60) if args.quick else (50, 500)
    smooth_seconds = 4 if args.quick else 10
    if not (SITE / 'index.html').exists():
        build.build(verbose=False)
    # The terminal is timed before and after the browser and the two are averaged: this machine's
    # speed drifts over minutes, and a ratio of two moments would carry the drift.
    native = [native_ms(window)]
    steps = {'cpython_gc_off': native_ms(window, gc_off=True), 'node_pyodide': node_ms(window)}
    b = browser(window, memory_steps, smooth_seconds)
    native.append(native_ms(window))
    steps['cpython'], steps['cpython_samples'] = statistics.mean(native), native
    steps['browser_app'], steps['browser_python'] = b['app_ms_per_step'], b['python_ms_per_step']
    load_ways = None
    try:
        from scripts.measure_load import load_times
        load_ways = load_times(runs=1 if args.quick else 3)
    except Exception as err:   # a browser missing: the rest of the report still stands
        print(f'load times each way not measured: {err}', file=sys.stderr)
    # every cold served start measured (this run's first, and each served one of load_times)
    served_ms = load_ways['chromium']['served'] if load_ways else []
    b['load_cold']['python_ready_runs_s'] = [b['load_cold']['python_ready_s']] + [round(t / 1000, 3) for t in served_ms]
    r = {'quick': args.quick, 'date': time.strftime('%Y-%m-%d'), 'machine': f'{os.cpu_count()} cores, Python {sys.version.split()[0]}',
         'window': window, 'steps': steps, 'browser': b, 'size': sizes(), 'load_ways': load_ways,
         'overhead_pct': (steps['browser_app'] / steps['browser_python'] - 1) * 100}
    for path, text in ((args.json, json.dumps(r, indent=2)), (args.report, report(r))):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    print(report(r))


if __name__ == '__main__':
    main()
