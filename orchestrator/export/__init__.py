"""plan.json --export--> a CI workflow that runs one cell per job and collates them.

    plan job      resolves the plan once (``oxzep7 plan MATRIX --json``) and hands the
                  cell list on as JSON (``oxzep7 export cells plan.json``)
    cell jobs     ``oxzep7 run --frozen plan.json --project-dir DIR --cell ID``, each
                  uploading its cell folder
    collate job   ``oxzep7 collate``: one run directory, verdict, every report

``cells`` chunks the list under the CI's cap on jobs per matrix (GitHub 256, GitLab 200);
``github`` and ``gitlab`` write the workflow files.
"""
