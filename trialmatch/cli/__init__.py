"""The command line: typer commands that call the service layer (`trialmatch.app`)."""
