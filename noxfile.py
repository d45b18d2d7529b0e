"""nox sessions for a checkout of oxzep7: one session per cell of a matrix.

    nox -l                                   list the cells of matrices/example.yaml
    nox -s "test(py3.11-click7.1.2)"         build and test one cell (and its base)
    OXZEP7_MATRIX=matrices/other.yaml nox -l use another matrix

Results land in .oxzep7/runs/nox/ (override with OXZEP7_RUN_DIR). Planning asks
the package index (cached 10 minutes); OXZEP7_NO_INDEX=1 skips it when offline. The logic
lives in orchestrator/sessions.py, so an installed oxzep7 works the same.
"""

from pathlib import Path

from orchestrator.run.sessions import register

register(default_matrix=Path(__file__).parent / "matrices" / "example.yaml")
