"""The context-manager half every test server shares: started on entry (stopped again,
its folder removed, when the start fails part-way), stopped and its folder removed on exit."""

from __future__ import annotations

import tempfile
from types import TracebackType
from typing import Self


class ManagedServer:
    _dir: tempfile.TemporaryDirectory[str]  # the server's own folder

    def start(self) -> object:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        try:
            self.start()
        except BaseException:
            self.stop()
            self._dir.cleanup()
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        self._dir.cleanup()
