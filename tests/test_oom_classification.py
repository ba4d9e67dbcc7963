import signal

from harness.oom import is_oom_exception, oom_from_exit


class OutOfMemoryError(RuntimeError):
    """Same name as torch.cuda.OutOfMemoryError; matched by name so no torch import is needed."""


def test_recognises_oom_by_type_message_and_cause():
    assert is_oom_exception(OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB"))
    assert is_oom_exception(MemoryError())
    assert is_oom_exception(RuntimeError("[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Failed to allocate memory for requested buffer of size 123"))
    assert is_oom_exception(RuntimeError("CUDNN_STATUS_ALLOC_FAILED"))
    try:
        try:
            raise MemoryError()
        except MemoryError as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert is_oom_exception(outer)


def test_other_errors_are_not_oom():
    assert not is_oom_exception(ValueError("shape mismatch"))
    assert not is_oom_exception(RuntimeError("Expected all tensors to be on the same device"))


def test_sigkill_exit_is_oom_evidence():
    assert "SIGKILL" in oom_from_exit(-signal.SIGKILL)
    assert oom_from_exit(1) is None and oom_from_exit(-signal.SIGSEGV) is None and oom_from_exit(None) is None
