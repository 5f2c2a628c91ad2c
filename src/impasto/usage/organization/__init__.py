"""An organization root's view of the ledger: every team's usage, billing and FOCUS report."""
