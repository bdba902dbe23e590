"""The application's routes, one module per area: studies, runs, proposals, files."""
