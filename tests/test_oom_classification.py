import pytest

from harness.process.oom import is_oom_exception


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


def test_one_function_classifies_how_a_child_ended():
    import signal as signals

    from harness.process.child_ending import DIED, OOM_KILLED, TIMEOUT, VERDICT, classify_ending
    from harness.process.launcher import ChildOutcome
    from harness.process.oom_evidence import MemoryRecord

    def outcome(returncode, timed_out=False, events=(), memory=None):
        return ChildOutcome(argv=[], pid=1, returncode=returncode, timed_out=timed_out, wall_s=12.0, events=list(events),
                            memory=memory)

    assert classify_ending(outcome(-signals.SIGKILL, timed_out=True), "x", 10).kind == TIMEOUT  # we killed it
    pressure = MemoryRecord("/sys/fs/cgroup/memory/x/memory.oom_control", 3, 4)
    oom = classify_ending(outcome(-signals.SIGKILL, memory=pressure), "x")
    assert oom.kind == OOM_KILLED and "rose from 3 to 4" in oom.detail and oom.memory["oom_kills_after"] == 4
    calm = classify_ending(outcome(-signals.SIGKILL, memory=MemoryRecord(None, 2, 2)), "x")
    assert calm.kind == DIED and "no sign of memory pressure" in calm.detail and "unchanged at 2" in calm.detail
    verdict = classify_ending(outcome(0, events=[{"event": "x", "outcome": "fits"}]), "x")
    assert (verdict.kind, verdict.detail, verdict.event["outcome"]) == (VERDICT, "fits", "fits")
    died = classify_ending(outcome(-signals.SIGSEGV), "x")
    assert died.kind == DIED and "SIGSEGV" in died.detail


def sampled(rss_mb, available_mb, total_mb=8000.0, before=None, after=None, kernel_log=None):
    from harness.process.oom_evidence import MemoryRecord, MemorySample

    return MemoryRecord(None, before, after, MemorySample(100.0, rss_mb, available_mb, total_mb), rss_mb,
                        kernel_log, 100.3)


@pytest.mark.parametrize("record, budget, oom, words", [
    (sampled(700, 200), None, True, "200 of 8000 MiB available"),            # the host nearly out of memory
    (sampled(7500, 3000), 8000, True, "7500 MiB of its 8000 MiB budget"),    # the run at its budget (unified memory)
    (sampled(700, 6000, kernel_log="Out of memory: Killed process 1 (python3)"), None, True, "kernel log"),
    (sampled(700, 6000), 8000, False, "held 700 MiB of a 8000 MiB budget"),   # a plain kill -9
    (None, None, False, "nothing was recorded"),
])
def test_a_kill_is_out_of_memory_only_with_evidence(record, budget, oom, words):
    from harness.process.oom_evidence import judge_kill

    judged = judge_kill(record, budget)
    assert judged.out_of_memory is oom and words in judged.seen


def test_the_witness_reads_this_hosts_counter_and_samples_a_real_child():
    """A real child watched by the parent's witness: samples taken, the cgroup counter read where the host has one."""
    import subprocess
    import sys
    import time

    from harness.process.oom_evidence import MemoryWitness, oom_kill_count

    child = subprocess.Popen([sys.executable, "-c", "import time; x = bytearray(50 * 2**20); time.sleep(1.5)"])
    witness = MemoryWitness(child.pid)
    time.sleep(1.0)
    child.kill()
    child.wait()
    record = witness.finish(killed=True)
    assert record.last_sample is not None and record.peak_tree_rss_mb >= 40
    assert (record.counter_file is None) == (oom_kill_count()[0] is None)
