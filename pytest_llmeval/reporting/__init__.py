"""From records to what a run reports: comparisons with a baseline run and their gates."""
