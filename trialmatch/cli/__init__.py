"""The command line: typer commands that call `trialmatch.api` and format its results."""
