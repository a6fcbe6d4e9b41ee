"""The bubblewrap command line that isolates one program, and the check that it works here.

What the program sees: a read-only ``/usr`` (and the ``/bin``, ``/lib*`` links or folders into
it), a synthetic ``/etc`` (passwd, group, hosts, the loader cache and the ``alternatives``
links that shared libraries such as BLAS resolve through), its own ``/proc`` and
``/dev``, and one writable tmpfs of bounded size at ``/tmp``: its working and home folder.
Nothing else of the host: not the checkout, the response cache, ``/root`` or ``/home``, nor
``/etc/shadow``. New user, pid, network, ipc and uts namespaces: no network but its own
loopback, no host process in sight, uid 65534 without capabilities, an empty environment.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
from collections.abc import Sequence

SANDBOX_UID = 65534  # "nobody", inside the sandbox and, for a root caller, outside too
WORKDIR = "/tmp"
SYSTEM_PYTHON = "/usr/bin/python3"
SYSTEM_ROOT = "/usr"  # the only host tree the sandbox sees
PATH = "/usr/local/bin:/usr/bin:/bin"
INSTALL_HINT = "apt-get install bubblewrap (dnf/pacman: bubblewrap)"
ALTERNATIVES = "/etc/alternatives"  # Debian's symbolic links into /usr, nothing else

# The system folders that are links into /usr on merged-/usr systems, folders elsewhere.
_TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
_ETC = {
    "/etc/passwd": f"nobody:x:{SANDBOX_UID}:{SANDBOX_UID}:nobody:{WORKDIR}:/usr/sbin/nologin\n",
    "/etc/group": f"nogroup:x:{SANDBOX_UID}:\n",
    "/etc/hosts": "127.0.0.1 localhost\n::1 localhost\n",
}


def find_bwrap() -> str | None:
    return shutil.which("bwrap")


def host_user() -> int | None:
    """The host uid to start bwrap as: 65534 when we are root, else our own (None).

    RLIMIT_NPROC never binds a process whose host uid is 0, even as uid 65534 inside a user
    namespace (the kernel exempts root's user), so as root a fork bomb would go unbounded.
    Started by an unprivileged host user, the sandbox's processes are counted in its own user
    namespace, apart from every other process: the limit is per sandbox.
    """
    return SANDBOX_UID if os.geteuid() == 0 else None


@functools.cache
def _options(bwrap: str) -> frozenset[str]:
    """The options this bwrap knows (``--size`` needs 0.7, ``--disable-userns`` 0.8)."""
    try:
        shown = subprocess.run(
            [bwrap, "--help"], capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return frozenset()
    words = (shown.stdout + shown.stderr).split()
    return frozenset(word for word in words if word.startswith("--"))


def etc_files() -> dict[str, str]:
    """The synthetic /etc: enough for `pwd`, `getpass` and `localhost`, nothing of the host's."""
    return dict(_ETC)


def command(
    bwrap: str,
    *,
    program: Sequence[str],
    data_fds: Sequence[tuple[int, str]],
    file_fds: Sequence[tuple[int, str]],
    folders: Sequence[str],
    info_fd: int,
    disk_bytes: int,
) -> list[str]:
    """bwrap's arguments to run `program` in a fresh sandbox.

    `data_fds` become read-only files (the synthetic /etc), `file_fds` writable files in the
    working folder (the program and its inputs), after creating `folders` there; each pair is
    (file descriptor to read the content from, path in the sandbox). bwrap writes the host pid
    of the sandbox's init to `info_fd`: killing it ends every process of the sandbox.
    """
    known = _options(bwrap)
    args = [bwrap, "--unshare-user", "--uid", str(SANDBOX_UID), "--gid", str(SANDBOX_UID)]
    args += ["--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts"]
    args += ["--unshare-cgroup-try", "--hostname", "sandbox", "--cap-drop", "ALL"]
    args += ["--die-with-parent", "--new-session"]
    if "--disable-userns" in known:  # no nested namespaces: less kernel surface
        args.append("--disable-userns")
    args += ["--clearenv", "--setenv", "PATH", PATH, "--setenv", "HOME", WORKDIR]
    args += ["--setenv", "LANG", "C.UTF-8"]
    args += ["--ro-bind", SYSTEM_ROOT, SYSTEM_ROOT]
    for name in _TOP_LEVEL:
        path = "/" + name
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    if os.path.isfile("/etc/ld.so.cache"):
        args += ["--ro-bind", "/etc/ld.so.cache", "/etc/ld.so.cache"]
    if os.path.isdir(ALTERNATIVES):  # links the loader follows: libblas.so.3 for numpy
        args += ["--ro-bind", ALTERNATIVES, ALTERNATIVES]
    for fd, path in data_fds:
        args += ["--ro-bind-data", str(fd), path]
    args += ["--proc", "/proc", "--dev", "/dev"]
    if "--size" in known:
        args += ["--size", str(disk_bytes)]
    args += ["--tmpfs", WORKDIR]
    for folder in folders:
        args += ["--dir", f"{WORKDIR}/{folder}"]
    for fd, path in file_fds:
        args += ["--perms", "0644", "--file", str(fd), path]
    # bwrap's root and /dev are tmpfs mounts the sandbox user owns: without these, writable
    # and unbounded. /tmp is a mount of its own and stays writable.
    args += ["--remount-ro", "/", "--remount-ro", "/dev"]
    args += ["--info-fd", str(info_fd), "--chdir", WORKDIR, *program]
    return args


def problem_with(bwrap: str | None, python: str) -> str | None:
    """Why this machine cannot sandbox programs, in one line with the fix; None when it can."""
    if bwrap is None:
        return f"bubblewrap (bwrap) is not installed: {INSTALL_HINT}"
    real = os.path.realpath(python)
    if not (os.access(real, os.X_OK) and real.startswith(SYSTEM_ROOT + "/")):
        return (
            f"no system Python at {python} for the sandbox (it sees only {SYSTEM_ROOT}): "
            "apt-get install python3"
        )
    info_r, info_w = os.pipe()
    try:
        probe = subprocess.run(
            command(
                bwrap,
                program=[python, "-c", "pass"],
                data_fds=(),
                file_fds=(),
                folders=(),
                info_fd=info_w,
                disk_bytes=1 << 20,
            ),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
            pass_fds=(info_w,),
            env={},
            cwd="/",
            user=host_user(),
            group=host_user(),
            extra_groups=[] if host_user() is not None else None,
        )
    except (OSError, subprocess.SubprocessError) as error:
        return f"bubblewrap could not run ({error}): {INSTALL_HINT}"
    finally:
        os.close(info_r)
        os.close(info_w)
    if probe.returncode == 0:
        return None
    said = (probe.stderr.strip().splitlines() or [f"exit status {probe.returncode}"])[-1]
    if any(word in said for word in ("namespace", "uid map", "Operation not permitted")):
        return (
            f"bubblewrap cannot create namespaces here ({said}): allow unprivileged user "
            "namespaces (sysctl user.max_user_namespaces=10000 kernel.unprivileged_userns_clone=1"
            "; Ubuntu 24.04: kernel.apparmor_restrict_unprivileged_userns=0)"
        )
    return f"bubblewrap fails here ({said}): {INSTALL_HINT}, version 0.7 or later"
