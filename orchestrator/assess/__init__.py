"""``oxzep7 assess`` and ``oxzep7 try``: from a project's own files to a matrix.

One job per module:

- ``projectfiles``: what the project declares and pins, read from its files
  (``read_project``), with one module per kind of file: ``declarations``
  (pyproject, setup.cfg, Pipfile), ``locks`` (uv.lock, poetry.lock, Pipfile.lock),
  ``requirementfiles`` (pip requirements files), ``runconfig`` (interpreters and the
  test command: .python-version, tox, nox, CI workflows, pytest); ``reader`` is the
  bounded, safe file access they share and ``facts`` the data they produce;
- ``lifecycle``: interpreters' end of life (resources/python-eol.json) and the family's;
- ``advisories``: known vulnerabilities of a version, from an offline PyPA
  advisory-database directory or PyPI's JSON API, or plainly "unknown";
- ``assessment``: every direct dependency against the package index (latest, allowed,
  how far behind, yanked, interpreters dropped), the interpreter, the advisories;
  ``dependencies`` judges one dependency, ``reports`` holds what an assessment says,
  ``versionmath`` the small version rules they share;
- ``show``: the terminal table and the JSON form;
- ``writematrix``: a ready matrix file from an assessment;
- ``trial``: a matrix in memory for a proposed combination (``oxzep7 try``).
"""
