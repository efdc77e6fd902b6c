"""repairs: models are added with the issue that builds this area."""
