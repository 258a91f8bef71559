"""How the steps reach where the environment lives when that is not here: the system
OpenSSH client (:mod:`.ssh`), ``wsl.exe`` (:mod:`.wsl`) and the Dev Containers CLI
(:mod:`.devcontainer_cli`), each behind the :class:`.base.Transport` contract.

A strategy (bootstrap.strategies) decides and returns one of these from its
``transport()``; the handoff executors (bootstrap.steps.handoff) drive it. Transports know
nothing of profiles or plans: they run commands and move files, through bootstrap.proc.
"""
