"""The models a server runs, kept in the store: `models.toml` synced into it (`sync.py`),
and the registry of live versions built from it (`registry.py`)."""
