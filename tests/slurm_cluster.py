"""A single-node SLURM cluster on 127.0.0.1, started and stopped by a test.

It runs Debian's `munge` and `slurm-wlm` daemons as root in the foreground,
with their key, socket, state and log files inside one folder. The node
declares two fake GPUs as GRES: SLURM hands them out like real ones and sets
CUDA_VISIBLE_DEVICES in the jobs that request one.

slurm.conf and gres.conf go to Slurm's default place, /etc/slurm, and are
removed again on stop. SLURM_CONF pointing elsewhere is not enough:
snakemake-executor-plugin-slurm-jobstep 0.6.1 deletes every SLURM_ variable,
SLURM_CONF included, before its `srun` inside the job, and that `srun` then
finds no configuration. A slurm.conf there that this module did not write
is never touched (`foreign_config`).
"""

import getpass
import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

# Where Debian installs the daemons; root's PATH usually contains it already.
SBIN_PATH = "/usr/sbin:/sbin"
DAEMONS = ("munged", "mungekey", "slurmctld", "slurmd")
CLIENTS = ("sbatch", "squeue", "scontrol", "scancel", "sinfo")
NODE = "node1"
PARTITION = "debug"
GPUS = 2
START_TIMEOUT = 60
STOP_TIMEOUT = 20
CONFIG_FOLDER = Path("/etc/slurm")
CONFIG_FILES = ("slurm.conf", "gres.conf")
MARKER = "# Test cluster of tests/slurm_cluster.py; removed when the test stops."


def find_command(name):
    """Return the path of `name` on PATH or in /usr/sbin, or None."""
    search_path = os.environ.get("PATH", "") + os.pathsep + SBIN_PATH
    return shutil.which(name, path=search_path)


def missing_commands():
    """Return the daemons and client commands that are not installed."""
    return [name for name in DAEMONS + CLIENTS if find_command(name) is None]


def foreign_config():
    """Return the path of a slurm.conf or gres.conf in /etc/slurm that another installation wrote, or None."""
    for name in CONFIG_FILES:
        path = CONFIG_FOLDER / name
        if path.exists() and not path.read_text(encoding="utf-8").startswith(MARKER):
            return path
    return None


def free_port():
    """Return a TCP port on 127.0.0.1 that is free at the time of the call."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class SlurmCluster:
    """A controller and one compute node with two GPUs, all on 127.0.0.1.

    Use as a context manager, or call `start()` and, whatever happens,
    `stop()`: it stops every daemon this object started, by PID.
    """

    def __init__(self, folder, cpus=2, memory_mb=8000):
        self.folder = folder
        self.cpus = cpus
        self.memory_mb = memory_mb
        self.config_path = CONFIG_FOLDER / "slurm.conf"
        self.munge_socket = folder / "munge" / "munge.socket"
        self.log_folder = folder / "log"
        self.daemons = []

    def __enter__(self):
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def environment(self, base=None):
        """Return `base` (default os.environ) with SLURM_CONF pointing here."""
        environment = dict(os.environ if base is None else base)
        environment["SLURM_CONF"] = str(self.config_path)
        return environment

    def start(self):
        """Write the configuration, start munged, slurmctld and slurmd, wait for the node."""
        self.log_folder.mkdir(parents=True)
        self._start_munge()
        self._write_slurm_config()
        self._start_daemon("slurmctld", ["-D", "-f", str(self.config_path)])
        self._start_daemon("slurmd", ["-D", "-N", NODE, "-f", str(self.config_path)])
        self._wait_for_idle_node()

    def stop(self):
        """Cancel every job, stop the daemons in reverse start order, remove the configuration."""
        if any(process.poll() is None for _, process in self.daemons):
            self._cancel_jobs()
        for name, process in reversed(self.daemons):
            if process.poll() is not None:
                continue
            os.kill(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(process.pid, signal.SIGKILL)
                process.wait(timeout=STOP_TIMEOUT)
        self.daemons = []
        if foreign_config() is None:
            for name in CONFIG_FILES:
                (CONFIG_FOLDER / name).unlink(missing_ok=True)

    def run_client(self, name, *arguments, timeout=30):
        """Run a SLURM client command against this cluster and return its stdout."""
        process = subprocess.run(
            [find_command(name), *arguments],
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if process.returncode != 0:
            raise RuntimeError(
                f"{name} {' '.join(arguments)} failed with exit code "
                f"{process.returncode}: {process.stderr.strip()}"
            )
        return process.stdout

    def job_records(self):
        """Return {job id: scontrol field dict} of every job the controller still keeps.

        Finished jobs stay there for MinJobAge (3600 s in this configuration).
        """
        records = {}
        output = self.run_client("scontrol", "--oneliner", "show", "job")
        for line in output.splitlines():
            fields = parse_scontrol_line(line)
            if "JobId" in fields:
                records[fields["JobId"]] = fields
        return records

    def daemon_logs(self):
        """Return the last lines of every daemon log, for failure messages."""
        parts = []
        for path in sorted(self.log_folder.glob("*")):
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            parts.append(f"--- {path.name}\n" + "\n".join(lines[-30:]))
        return "\n".join(parts)

    def _start_munge(self):
        # munged rejects a key readable by others and a socket folder that
        # others can write to. --force lets it run as root.
        munge_folder = self.munge_socket.parent
        munge_folder.mkdir(mode=0o755)
        key = self.folder / "munge.key"
        subprocess.run(
            [find_command("mungekey"), "--create", "--keyfile", str(key)],
            check=True,
            capture_output=True,
        )
        key.chmod(0o600)
        self._start_daemon(
            "munged",
            [
                "--foreground",
                "--force",
                f"--key-file={key}",
                f"--socket={self.munge_socket}",
                f"--pid-file={munge_folder / 'munged.pid'}",
                f"--seed-file={munge_folder / 'munged.seed'}",
                f"--log-file={self.log_folder / 'munged.log'}",
            ],
        )
        self._wait_for(self.munge_socket.exists, "munged to create its socket")

    def _write_slurm_config(self):
        existing = foreign_config()
        if existing is not None:
            raise RuntimeError(f"{existing} belongs to another SLURM installation; not overwriting it")
        for name in ("state", "spool"):
            (self.folder / name).mkdir()
        gpu_files = self._make_gpu_device_files()
        folder = self.folder
        lines = [
            MARKER,
            "ClusterName=testcluster",
            "SlurmctldHost=localhost(127.0.0.1)",
            f"SlurmctldPort={free_port()}",
            f"SlurmdPort={free_port()}",
            "SlurmUser=root",
            "SlurmdUser=root",
            "AuthType=auth/munge",
            "CredType=cred/munge",
            f"AuthInfo=socket={self.munge_socket}",
            f"StateSaveLocation={folder / 'state'}",
            f"SlurmdSpoolDir={folder / 'spool'}",
            f"SlurmctldPidFile={folder / 'slurmctld.pid'}",
            f"SlurmdPidFile={folder / 'slurmd.pid'}",
            f"SlurmctldLogFile={self.log_folder / 'slurmctld.log'}",
            f"SlurmdLogFile={self.log_folder / 'slurmd.log'}",
            # Process tracking without cgroups: a container seldom lets
            # slurmd create cgroups, and this cluster only needs to run jobs
            # and hand out GPUs, not enforce limits.
            "ProctrackType=proctrack/linuxproc",
            "TaskPlugin=task/none",
            "JobAcctGatherType=jobacct_gather/none",
            "AccountingStorageType=accounting_storage/none",
            "JobCompType=jobcomp/none",
            "MpiDefault=none",
            "SchedulerType=sched/backfill",
            "SelectType=select/cons_tres",
            "SelectTypeParameters=CR_Core_Memory",
            "GresTypes=gpu",
            # Trust the node line below instead of the machine's hardware.
            "SlurmdParameters=config_overrides",
            # squeue reports a finished job only while the controller still
            # keeps it, and the executor plugin's status checks rely on that.
            "MinJobAge=3600",
            "ReturnToService=2",
            f"NodeName={NODE} NodeAddr=127.0.0.1 NodeHostname={socket.gethostname()} "
            f"CPUs={self.cpus} RealMemory={self.memory_mb} Gres=gpu:{GPUS} State=UNKNOWN",
            f"PartitionName={PARTITION} Nodes={NODE} Default=YES MaxTime=INFINITE State=UP",
        ]
        CONFIG_FOLDER.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        gres = f"{MARKER}\nNodeName={NODE} Name=gpu File={gpu_files}\n"
        (CONFIG_FOLDER / "gres.conf").write_text(gres, encoding="utf-8")

    def _make_gpu_device_files(self):
        """Create two character devices for the fake GPUs and return their GRES pattern.

        slurmd only reads the device numbers of a GRES file. These are copies
        of /dev/null (major 1, minor 3), so opening one does nothing.
        """
        devices = self.folder / "devices"
        devices.mkdir()
        for index in range(GPUS):
            os.mknod(devices / f"gpu{index}", 0o600 | stat.S_IFCHR, os.makedev(1, 3))
        return f"{devices}/gpu[0-{GPUS - 1}]"

    def _start_daemon(self, name, arguments):
        output = open(self.log_folder / f"{name}.out", "w", encoding="utf-8")
        with output:
            process = subprocess.Popen(
                [find_command(name), *arguments],
                stdin=subprocess.DEVNULL,
                stdout=output,
                stderr=subprocess.STDOUT,
                env=self.environment(),
            )
        self.daemons.append((name, process))

    def _wait_for_idle_node(self):
        def node_is_idle():
            try:
                state = self.run_client("sinfo", "--noheader", "--nodes", NODE, "--format", "%T")
            except RuntimeError:
                return False
            return state.strip() == "idle"

        self._wait_for(node_is_idle, f"node {NODE} to become idle")

    def _wait_for(self, condition, description):
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            for name, process in self.daemons:
                if process.poll() is not None:
                    raise RuntimeError(
                        f"{name} exited with code {process.returncode} while waiting "
                        f"for {description}\n{self.daemon_logs()}"
                    )
            if condition():
                return
            time.sleep(0.5)
        raise RuntimeError(f"timed out after {START_TIMEOUT} s waiting for {description}\n{self.daemon_logs()}")

    def _cancel_jobs(self):
        """Cancel every job of this cluster and wait until none runs any more."""
        try:
            self.run_client("scancel", "--full", "--user", getpass.getuser())
            deadline = time.monotonic() + STOP_TIMEOUT
            while time.monotonic() < deadline:
                running = self.run_client(
                    "squeue", "--noheader", "--states", "PENDING,RUNNING,COMPLETING", "--format", "%i"
                )
                if not running.strip():
                    return
                time.sleep(0.5)
        except (RuntimeError, subprocess.TimeoutExpired):
            # NOTE: with the controller gone or hanging, a job that still
            # runs keeps running after the daemons stop.
            return


def parse_scontrol_line(line):
    """Return the `Key=Value` fields of one `scontrol --oneliner` record as a dict."""
    fields = {}
    for item in line.split():
        key, separator, value = item.partition("=")
        if separator:
            fields[key] = value
    return fields
