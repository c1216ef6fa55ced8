"""Loaded by every Python process of a server that `benchmarks.upload_walk` starts: when
MG_WALK_DIR is set, each call into the project's package is written down as the time, the
caller's file and function, the callee's file and function, and the outermost of the project's
functions on the stack (the task or thread that made the call: a request, a slot of the
executor, a timer), one file per process."""

import os
import sys
import threading
import time

_OUT = os.environ.get("MG_WALK_DIR")
_ROOT = os.environ.get("MG_WALK_ROOT", "")


def _where(code):  # the file relative to the package, and the function
    return code.co_filename[len(_ROOT) + 1 :], code.co_qualname


if _OUT and _ROOT:
    _log = open(os.path.join(_OUT, f"{os.getpid()}.tsv"), "a", buffering=1)  # noqa: SIM115

    def _profile(frame, event, arg):
        if event != "call" or not frame.f_code.co_filename.startswith(_ROOT):
            return
        callee = _where(frame.f_code)
        back = frame.f_back
        ours = back is not None and back.f_code.co_filename.startswith(_ROOT)
        caller = _where(back.f_code) if ours else ("", "")
        root, outer = callee, back
        while outer is not None:
            if outer.f_code.co_filename.startswith(_ROOT):
                root = _where(outer.f_code)
            outer = outer.f_back
        _log.write(
            f"{time.time():.6f}\t{caller[0]}\t{caller[1]}\t{callee[0]}\t{callee[1]}"
            f"\t{root[0]}:{root[1]}\n"
        )

    sys.setprofile(_profile)
    threading.setprofile(_profile)
