"""Install what the tests need, build the site, and run every test.

    python3 scripts/test.py [pytest args...]

Installs Debian's chromium, firefox-esr and nodejs if they are missing (needs root and apt-get), creates
.venv with the pinned test packages from pyproject.toml, builds dist/ (cached downloads), then
runs pytest inside .venv.
"""
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / '.venv'
# command: Debian package. Node runs Pyodide at build time (scripts/stdlib_pyc.mjs) and in the benchmark.
NEEDED = {'chromium': 'chromium', 'firefox-esr': 'firefox-esr', 'node': 'nodejs'}


def run(*cmd, **kw):
    print('+', ' '.join(map(str, cmd)), flush=True)
    subprocess.run(cmd, check=True, **kw)


def install_programs():
    missing = [pkg for cmd, pkg in NEEDED.items() if not shutil.which(cmd)]
    if not missing:
        return
    if os.geteuid() != 0 or not shutil.which('apt-get'):
        sys.exit(f"missing programs: {', '.join(missing)}; install them with: sudo apt-get install {' '.join(missing)}")
    env = {**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'}
    run('apt-get', 'update', '-qq', env=env)
    run('apt-get', 'install', '-y', '-qq', *missing, env=env)


def install_packages():
    python = VENV / 'bin' / 'python'
    if not python.exists():
        run(sys.executable, '-m', 'venv', VENV)
    pins = tomllib.loads((ROOT / 'pyproject.toml').read_text())['project']['optional-dependencies']['test']
    run(python, '-m', 'pip', 'install', '-q', '--disable-pip-version-check', *pins)
    return python


def main():
    install_programs()
    python = install_packages()
    run(sys.executable, ROOT / 'scripts' / 'build.py')
    result = subprocess.run([str(python), '-m', 'pytest', *sys.argv[1:]], cwd=ROOT)
    sys.exit(result.returncode)


if __name__ == '__main__':
    main()
