"""Reads of the env file and the CA bundle are bounded by type and size, and a file this
user may not read is one line (a usage error, or GC012), never a traceback or a hang."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from gigacheck import rules
from gigacheck.settings import EnvFileError, load, read_env_file

DEVICES = [p for p in ("/dev/zero", "/dev/urandom") if os.path.exists(p)]


@pytest.fixture
def fifo(tmp_path) -> Path:
    path = tmp_path / "env.fifo"
    os.mkfifo(path)  # opening it for reading would wait for a writer forever
    return path


def test_a_fifo_or_a_device_as_env_file_is_refused_at_once(fifo):
    for path in [fifo, *map(Path, DEVICES)]:
        with pytest.raises(EnvFileError, match="not a regular file"):
            read_env_file(path)


def test_a_huge_env_file_is_refused(tmp_path):
    path = tmp_path / "huge.env"
    with open(path, "wb") as f:
        f.truncate(8 << 20)  # sparse: 8 MiB without writing them
    with pytest.raises(EnvFileError, match="larger than"):
        read_env_file(path)


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_a_device_as_ca_bundle_is_gc012(fifo, kind):
    path = str(fifo) if kind == "fifo" else DEVICES[0]
    finding = rules.ca_bundle_problem(load({"GIGACHAT_CA_BUNDLE_FILE": path}))
    assert finding is not None and finding.code == "GC012" and "not a regular file" in finding.detail


def test_permission_denied_is_one_line_for_the_env_file_and_gc012_for_the_ca_bundle(tmp_path, monkeypatch):
    """As root nothing is unreadable: the OS's answer for a non-root user is simulated."""
    secret_dir = tmp_path / "private"
    secret_dir.mkdir()
    real_stat = os.stat

    def stat(path, *args, **kwargs):
        if str(path).startswith(str(secret_dir)):
            raise PermissionError(13, "Permission denied", str(path))
        return real_stat(path, *args, **kwargs)

    monkeypatch.setattr(os, "stat", stat)
    with pytest.raises(EnvFileError, match="permission denied") as info:
        read_env_file(secret_dir / ".env")
    assert "\n" not in str(info.value)
    # the default ./.env that cannot even be looked at is read, and so reported, not skipped
    with pytest.raises(EnvFileError, match="permission denied"):
        load({}, secret_dir / ".env")
    finding = rules.ca_bundle_problem(load({"GIGACHAT_CA_BUNDLE_FILE": str(secret_dir / "ca.pem")}))
    assert finding.code == "GC012" and "permission denied" in finding.detail


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("runuser"), reason="needs root to become nobody")
def test_a_real_non_root_user_and_an_unsearchable_folder():
    """`nobody` cannot search a root-only folder: both files give their one line, in a real process."""
    base = Path(tempfile.mkdtemp(prefix="gigacheck-nobody-"))  # pytest's tmp_path is root-only
    try:
        _run_as_nobody(base)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def _run_as_nobody(tmp_path: Path):
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    (private / ".env").write_text("GIGACHAT_CREDENTIALS=x\n")
    (private / "ca.pem").write_text("-----BEGIN CERTIFICATE-----\n")
    tmp_path.chmod(0o755)
    for parent in tmp_path.parents:  # nobody must reach tmp_path itself
        if parent.stat().st_mode & 0o001 == 0:
            pytest.skip(f"{parent} is not searchable by others")
    code = ("import sys; from pathlib import Path; from gigacheck import rules, settings as s\n"
            "try:\n    s.read_env_file(Path(sys.argv[1]))\nexcept s.EnvFileError as e:\n    print('ENV', e)\n"
            "f = rules.ca_bundle_problem(s.load({'GIGACHAT_CA_BUNDLE_FILE': sys.argv[2]}))\nprint(f.code, f.detail)")
    # this interpreter may live where nobody cannot go (/root/.pyenv): the system's same minor version will do
    python = next((p for p in (f"/usr/bin/python{sys.version_info[0]}.{sys.version_info[1]}", sys.executable)
                   if os.access(p, os.X_OK)), sys.executable)
    path = os.pathsep.join([str(Path(__file__).resolve().parents[1]), *[p for p in sys.path if "site-packages" in p]])
    proc = subprocess.run(["runuser", "-u", "nobody", "--", python, "-c", code, str(private / ".env"),
                           str(private / "ca.pem")], capture_output=True, text=True, timeout=60,
                          env={"PYTHONPATH": path, "PATH": os.environ.get("PATH", "")})
    if "failed to execute" in proc.stderr or "ModuleNotFoundError" in proc.stderr:
        pytest.skip(f"nobody cannot run an interpreter with gigacheck: {proc.stderr[-200:]}")
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("ENV --env-file") and "permission denied" in lines[0]
    assert lines[1].startswith("GC012 ") and "permission denied" in lines[1]


def test_report_json_naming_a_directory_is_a_usage_error_at_start(pytester, monkeypatch):
    from tests.support.checksrun import CHECKS, clean_environment
    clean_environment(monkeypatch)
    (pytester.path / "out").mkdir()
    result = pytester.runpytest_inprocess(str(CHECKS), "--mock", "-p", "no:cacheprovider", "--report-json", "out")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    err = "\n".join(result.errlines)
    assert "--report-json out: is a directory" in err and "Traceback" not in err
