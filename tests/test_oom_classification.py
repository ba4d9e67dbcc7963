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


def test_one_function_classifies_how_a_child_ended():
    import signal as signals

    from harness.child_ending import DIED, OOM_KILLED, TIMEOUT, VERDICT, classify_ending
    from harness.launcher import ChildOutcome

    def outcome(returncode, timed_out=False, events=()):
        return ChildOutcome(argv=[], pid=1, returncode=returncode, timed_out=timed_out, wall_s=12.0, events=list(events))

    assert classify_ending(outcome(-signals.SIGKILL, timed_out=True), "x", 10).kind == TIMEOUT  # we killed it
    assert classify_ending(outcome(-signals.SIGKILL), "x").kind == OOM_KILLED
    verdict = classify_ending(outcome(0, events=[{"event": "x", "outcome": "fits"}]), "x")
    assert (verdict.kind, verdict.detail, verdict.event["outcome"]) == (VERDICT, "fits", "fits")
    died = classify_ending(outcome(-signals.SIGSEGV), "x")
    assert died.kind == DIED and "SIGSEGV" in died.detail
