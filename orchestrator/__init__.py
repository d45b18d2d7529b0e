"""oxzep7: find the interpreter and dependency versions a Python project can safely move to.

Data flows one way: matrix file -> Matrix -> Plan (cells) -> images -> runs
(nox sessions, one container per cell) -> CellResults -> results.json -> summary.
"""

__version__ = "0.1.0"

# Every image and container oxzep7 creates carries labels under this prefix.
LABEL_PREFIX = "org.oxzep7"
