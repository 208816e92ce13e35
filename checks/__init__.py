"""Claims of the papers as checks with verdicts, the runner, the reports and the CLI."""
