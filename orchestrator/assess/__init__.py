"""``oxzep7 assess`` and ``oxzep7 try``: from a project's own files to a matrix.

One job per module:

- ``projectfiles``: what the project declares and pins (pyproject, locks, CI, tox, nox);
- ``lifecycle``: interpreters' end of life (resources/python-eol.json) and the family's;
- ``advisories``: known vulnerabilities of a version, from an offline PyPA
  advisory-database directory or PyPI's JSON API, or plainly "unknown";
- ``assessment``: every direct dependency against the package index (latest, allowed,
  how far behind, yanked, interpreters dropped), the interpreter, the advisories;
- ``show``: the terminal table and the JSON form;
- ``writematrix``: a ready matrix file from an assessment;
- ``trial``: a matrix in memory for a proposed combination (``oxzep7 try``).
"""
