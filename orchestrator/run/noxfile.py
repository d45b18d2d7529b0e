"""The noxfile ``oxzep7 run`` hands to nox: the sessions of the plan in $OXZEP7_PLAN."""

from orchestrator.run.sessions import register

register()
