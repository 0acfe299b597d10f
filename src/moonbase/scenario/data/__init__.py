"""Package data: the built-in scenario files (TOML)."""
