"""`python -m zoo_core.cli` (what torchrun runs for `torchrun -m zoo_core.cli train ...`)."""
from zoo_core.cli.app import main

main()
