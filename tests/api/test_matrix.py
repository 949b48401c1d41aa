"""Every public entry point x input kind x metric x scale finds the same partition
(tests/matrix.py says what each cell checks and which cells are not cells)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from matrix import KINDS, cells, check

IN_PROCESS = tuple(kind for kind in KINDS if kind != "mesh")


@pytest.mark.parametrize("entry, kind, metric, scale", list(cells(IN_PROCESS)))
def test_cell(entry, kind, metric, scale):
    check(entry, kind, metric, scale)


@pytest.mark.slow
def test_cells_of_rows_split_over_a_mesh():
    # Eight CPU devices need XLA_FLAGS before JAX starts: a process of their own.
    tests = Path(__file__).resolve().parents[1]
    code = (
        "from matrix import cells, check\n"
        "failed = []\n"
        "for cell in cells(('mesh',)):\n"
        "    try:\n"
        "        check(*cell)\n"
        "    except Exception as err:\n"
        "        failed.append(f'{cell}: {type(err).__name__}: {str(err)[:200]}')\n"
        "print('\\n'.join(failed) or 'all cells passed')\n"
    )
    env = {
        **os.environ,
        "XLA_FLAGS": "--xla_force_host_platform_device_count=8",
        "PYTHONPATH": os.pathsep.join([str(tests), os.environ.get("PYTHONPATH", "")]),
    }
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=900
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "all cells passed", proc.stdout
