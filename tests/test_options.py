import argparse

import pytest

from harness.errors import UserError
from harness.settings.options import Options, add_flags, check_writable_dir, resolve


def parse(*argv):
    parser = argparse.ArgumentParser()
    add_flags(parser)
    return resolve(parser.parse_args(list(argv)))


def test_defaults_and_explicit():
    opts = parse()
    assert opts.imgsz == [640] and opts.batch == [1] and opts.backend == ["auto"]
    assert opts.explicit == []
    opts = parse("--imgsz", "320,640", "--batch", "1, 8", "--backend", "torch", "--skip_setup")
    assert opts.imgsz == [320, 640] and opts.batch == [1, 8] and opts.backend == ["torch"]
    assert set(opts.explicit) == {"imgsz", "batch", "backend", "skip_setup"}


@pytest.mark.parametrize("argv,message", [
    (["--imgsz", "0"], "must be a positive"),
    (["--imgsz", "-32"], "must be a positive"),
    (["--imgsz", "48x0"], "must be a positive"),
    (["--imgsz", "abc"], "not a size: use S"),
    (["--batch", "0"], "at least 1"),
    (["--backend", "tensorflow"], "unknown backend"),
    (["--backend", "auto,torch"], "cannot be combined"),
    (["--compile_cache", "lukewarm"], "choose one of"),
    (["--workspace_mb", "0"], "must be positive"),
    (["--precision", "int4"], "unknown precision"),
    (["--iters", "0"], "at least 1"),
    (["--device", "gpu"], "use auto, cpu"),
    (["--isolation", "thread"], "choose one of"),
    (["--skip_setup", "--skip_inference"], "would do nothing"),
    (["--batch", "64", "--max_frames_in_mem", "8"], "max_frames_in_mem"),
    (["--weights_dir", "/no/such/folder"], "no such folder"),
])
def test_invalid_values(argv, message):
    with pytest.raises(UserError, match=message):
        parse(*argv)


def test_round_trip():
    opts = parse("--models", "a,b", "--iters", "7")
    assert Options.from_dict(opts.to_dict()) == opts


def test_unwritable_dir(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("x")
    with pytest.raises(UserError, match="cannot write there"):
        check_writable_dir(str(blocker / "sub"), "out_dir")
    assert check_writable_dir(str(tmp_path / "new" / "dir"), "out_dir").is_dir()


def test_measurement_schedule_flags():
    opts = parse("--pipeline", "1,2,4", "--arrival_fps", "15,29.97", "--arrival", "poisson", "--repeats", "3",
                 "--calib_batch", "4", "--precision", "fp32,tf32")
    assert opts.pipeline == [1, 2, 4] and opts.arrival_fps == [15.0, 29.97] and opts.arrival == "poisson"
    assert opts.repeats == 3 and opts.calib_batch == 4 and opts.precision == ["fp32", "tf32"]
    assert parse().pipeline == [1] and parse().arrival_fps == [] and parse().calib_batch == 8


@pytest.mark.parametrize("argv,message", [
    (["--arrival_fps", "-5"], "a frame rate must be positive"),
    (["--arrival_fps", "fast"], "expected comma-separated numbers"),
    (["--arrival", "bursty"], "choose one of fixed, poisson"),
    (["--pipeline", "0"], "at least 1 in-flight batch"),
    (["--repeats", "0"], "--repeats 0: must be at least 1"),
    (["--calib_batch", "0"], "--calib_batch 0"),
    (["--fidelity_frames", "700"], "holds its frames at once"),
])
def test_bad_schedule_flags_are_one_line(argv, message):
    with pytest.raises(UserError, match=message):
        parse(*argv)


def test_max_frames_in_mem_takes_a_number_auto_or_all():
    from harness.records.measurement_request import measurement_settings

    for raw, window, chunk in (("auto", "auto", 600), ("all", "all", 600), ("8", 8, 8)):
        settings = measurement_settings(parse("--max_frames_in_mem", raw))
        assert (settings["vos_window"], settings["max_frames_in_mem"]) == (window, chunk)
    assert parse().max_frames_in_mem == "auto"
    with pytest.raises(UserError, match="expected a number"):
        parse("--max_frames_in_mem", "some")


def test_fork_isolation_is_the_default_where_the_host_can_fork(monkeypatch):
    import harness.process.fork_launcher as fork_launcher

    monkeypatch.setattr(fork_launcher, "fork_available", lambda: True)
    assert parse().isolation == "fork"
    monkeypatch.setattr(fork_launcher, "fork_available", lambda: False)
    assert parse().isolation == "run"  # elsewhere a new interpreter per run, said in --help
    assert parse("--isolation", "phase").isolation == "phase"
    with pytest.raises(UserError, match="--isolation fork needs Linux"):
        parse("--isolation", "fork")
