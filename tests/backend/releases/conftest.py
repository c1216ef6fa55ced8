"""The release services run on both stores: the store contract suite's fixtures."""

from tests.backend.store.conftest import make_store, store

__all__ = ["make_store", "store"]
