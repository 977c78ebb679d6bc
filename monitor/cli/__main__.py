"""`python -m monitor.cli` runs the `policywatch` command."""

from monitor.cli import main

main()
