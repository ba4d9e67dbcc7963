"""The globals a pickle would import, read from its opcodes without running it.

Used to tell model files apart and to check the pickled members of a .pt2 archive before torch unpickles them.
The reading is conservative: a STACK_GLOBAL whose two names are not plain strings pushed right before it, and a
copyreg extension code, are reported as globals that cannot be named, so an allow-list refuses them.
"""

from __future__ import annotations

import io
import pickletools

STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING", "BINSTRING", "STRING"}
MEMO_PUT_OPS = {"MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"}
MEMO_GET_OPS = {"GET", "BINGET", "LONG_BINGET"}
UNNAMED = "<a global built at unpickling time>"
PICKLE_PROTO = 0x80  # the first byte of every pickle of protocol 2 or later (torch.save writes protocol 2)


def pickle_refs(stream, refs: set) -> None:
    """Add to ``refs`` every 'module.name' one pickle in ``stream`` imports. Raises ValueError (or another parse
    error) where the stream stops being a pickle; what was read before that stays in ``refs``."""
    memo, window = {}, [None, None]   # the values of the last two pushes, where they are plain strings
    for opcode, arg, _ in pickletools.genops(stream):
        name = opcode.name
        if name in MEMO_PUT_OPS:  # stores the top of the stack, pushes nothing
            memo[len(memo) if name == "MEMOIZE" else arg] = window[-1]
            continue
        if name in ("GLOBAL", "INST"):
            refs.add(".".join(str(arg).split(" ", 1)))
        elif name == "STACK_GLOBAL":
            module, attr = window
            refs.add(f"{module}.{attr}" if isinstance(module, str) and isinstance(attr, str) else UNNAMED)
        elif name.startswith("EXT"):
            refs.add(f"copyreg extension {arg}")
        pushed = arg if name in STRING_OPS else memo.get(arg) if name in MEMO_GET_OPS else None
        window = [window[-1], pushed]


def stream_refs(data: bytes) -> set:
    """Globals of the pickles at the start of ``data`` (a legacy torch.save file is several pickles in a row, then
    raw storage bytes). Raises ValueError when the data does not start with a pickle."""
    stream, refs, parsed = io.BytesIO(data), set(), 0
    while stream.tell() < len(data) and data[stream.tell()] == PICKLE_PROTO:
        try:
            pickle_refs(stream, refs)
        except Exception:  # noqa: BLE001 - the storage bytes after the pickles, or not a pickle at all
            break
        parsed += 1
    if not parsed:
        raise ValueError("not a pickle")
    return refs
