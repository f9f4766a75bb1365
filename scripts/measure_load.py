"""Time to ready of the built zip, each way a learner opens it: served over http, and index.html
opened from disk (file://), in Chromium (Playwright) and Firefox ESR (WebDriver BiDi).

    python3 scripts/measure_load.py [--zip dist/microgpt-viz.zip] [--runs 3]

load_times() is what a benchmark report imports. The zip is unzipped once into a temp folder,
which is both served (127.0.0.1, no caching) and opened as file://; the ways alternate run by
run so that both see the same machine load. Time to ready is the page's own clock
(performance.now(), from navigation start) when <body data-state> first becomes "ready"
(in Chromium noted by an observer set before the page's scripts; in Firefox, one set after load).
"""
import argparse
import json
import pathlib
import statistics
import sys
import tempfile
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from scripts.site_server import serve_in_thread  # noqa: E402

CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking',
                  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic']
# Resolves with performance.now() at the moment data-state first reads "ready" (or throws on "error").
READY_AT = '''new Promise((resolve, reject) => {
  const check = () => {
    const state = document.body && document.body.dataset.state;
    if (state === 'ready') resolve(performance.now());
    if (state === 'error') reject(new Error(document.getElementById('status').textContent));
  };
  new MutationObserver(check).observe(document.documentElement, {attributes: true, subtree: true});
  check();
})'''

# Run before the page's own scripts (an init script): notes, on the page's clock, the frame that
# first shows line 1 of the code (rAF runs just before a frame is painted) and the moment
# <body data-state> first reads "ready". Read back as window.__loadTimes = {readable, ready}.
LOAD_PROBE = '''(() => {
  const times = window.__loadTimes = {};
  const frame = () => {
    const line = document.querySelector('[data-line="1"]');
    if (line && line.getClientRects().length) times.readable = performance.now();
    else requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
  new MutationObserver(() => {
    if (!times.ready && document.body.dataset.state === 'ready') times.ready = performance.now();
  }).observe(document, {attributes: true, subtree: true, attributeFilter: ['data-state']});
})();'''


def serve(folder):
    """Serve folder on 127.0.0.1 in a thread, nothing cached; returns (base_url, server)."""
    return serve_in_thread(folder, cache='no-store')   # every run loads from the server


def _chromium_times(urls, runs):
    import shutil
    from playwright.sync_api import sync_playwright
    out = {way: [] for way in urls}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which('chromium'), args=CHROMIUM_FLAGS)
        try:
            for _ in range(runs):
                for way, url in urls.items():
                    context = browser.new_context(viewport={'width': 1440, 'height': 900})
                    page = context.new_page()
                    page.add_init_script(LOAD_PROBE)
                    page.goto(url)
                    page.evaluate(READY_AT)
                    out[way].append(page.evaluate('window.__loadTimes.ready'))
                    context.close()
        finally:
            browser.close()
    return out


def _firefox_times(urls, runs):
    from tests.e2e.firefox import Firefox
    out = {way: [] for way in urls}
    with Firefox() as ff:
        for _ in range(runs):
            for way, url in urls.items():
                tab = ff.new_tab()
                tab.navigate(url)
                out[way].append(tab.evaluate(READY_AT))
                tab.close()
    return out


def load_times(zip_path=None, runs=3, browsers=('chromium', 'firefox'), ways=('served', 'file')):
    """{'zip_bytes': n, browser: {'served': [ms, ...], 'file': [ms, ...]}} for each browser."""
    zip_path = pathlib.Path(zip_path or ROOT / 'dist' / 'microgpt-viz.zip')
    result = {'zip_bytes': zip_path.stat().st_size}
    with tempfile.TemporaryDirectory(prefix='mgv-load-') as tmp:
        with zipfile.ZipFile(zip_path) as zf:
            zf.extractall(tmp)
        (folder,) = [p for p in pathlib.Path(tmp).iterdir() if p.is_dir()]
        base, server = serve(folder)
        try:
            urls = {'served': base, 'file': (folder / 'index.html').as_uri()}
            urls = {way: urls[way] for way in ways}
            measure = {'chromium': _chromium_times, 'firefox': _firefox_times}
            for name in browsers:
                result[name] = measure[name](urls, runs)
        finally:
            server.shutdown()
    return result


def report_lines(result):
    """One line per browser and way: median time to ready, and the zip's size."""
    lines = [f"zip {result['zip_bytes'] / 1e6:.2f} MB"]
    for name, ways in result.items():
        if name == 'zip_bytes':
            continue
        for way, times in ways.items():
            runs = ', '.join(f'{t / 1000:.2f}' for t in times)
            lines.append(f'{name:<9} {way:<7} ready in {statistics.median(times) / 1000:.2f} s (median; runs {runs})')
        if {'served', 'file'} <= ways.keys():
            ratio = statistics.median(ways['file']) / statistics.median(ways['served'])
            lines.append(f'{name:<9} file:// / served = {ratio:.2f}')
    return lines


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--zip', type=pathlib.Path, help='the zip to measure (default dist/microgpt-viz.zip)')
    ap.add_argument('--runs', type=int, default=3)
    ap.add_argument('--browsers', default='chromium,firefox')
    ap.add_argument('--ways', default='served,file')
    ap.add_argument('--json', action='store_true', help='print the raw numbers as JSON too')
    args = ap.parse_args(argv)
    result = load_times(args.zip, args.runs, tuple(args.browsers.split(',')), tuple(args.ways.split(',')))
    print('\n'.join(report_lines(result)))
    if args.json:
        print(json.dumps(result))


if __name__ == '__main__':
    main()
