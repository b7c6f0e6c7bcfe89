"""A seccomp filter for sandboxed children: no exec, no sockets, no namespace or mount calls.

Written as classic BPF by hand (``libseccomp`` is not a dependency). Refused calls fail
with ``EPERM``; a call made through another architecture's ABI kills the process.
"""

from __future__ import annotations

import ctypes
import errno
import platform

_PR_SET_SECCOMP = 22
_SECCOMP_MODE_FILTER = 2
_RET_KILL_PROCESS = 0x80000000
_RET_ERRNO = 0x00050000
_RET_ALLOW = 0x7FFF0000
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_RET_K = 0x06
_X32_BIT = 0x40000000
_OFFSET_NR = 0
_OFFSET_ARCH = 4

# (audit arch, {refused call: number})
_TABLES = {
    "x86_64": (
        0xC000003E,
        {"execve": 59, "execveat": 322, "socket": 41, "ptrace": 101, "mount": 165, "umount2": 166,
         "pivot_root": 155, "unshare": 272, "setns": 308, "keyctl": 250, "add_key": 248, "bpf": 321,
         "perf_event_open": 298, "userfaultfd": 323, "io_uring_setup": 425, "process_vm_writev": 311},
    ),
    "aarch64": (
        0xC00000B7,
        {"execve": 221, "execveat": 281, "socket": 198, "ptrace": 117, "mount": 40, "umount2": 39,
         "pivot_root": 41, "unshare": 97, "setns": 268, "keyctl": 219, "add_key": 217, "bpf": 280,
         "perf_event_open": 241, "userfaultfd": 282, "io_uring_setup": 425, "process_vm_writev": 271},
    ),
}  # fmt: skip


class _Instruction(ctypes.Structure):
    _fields_ = [("code", ctypes.c_uint16), ("jt", ctypes.c_uint8), ("jf", ctypes.c_uint8), ("k", ctypes.c_uint32)]


class _Program(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.POINTER(_Instruction))]


def refused_calls() -> tuple[str, ...]:
    """Names of the system calls the filter refuses on this machine's architecture."""
    return tuple(_TABLES[platform.machine()][1])


def install_filter() -> None:
    """Install the filter on this process and every process it starts (needs no_new_privs).

    Raises:
        OSError: Unknown architecture, or the kernel refused the filter.
    """
    machine = platform.machine()
    if machine not in _TABLES:
        raise OSError(f"no seccomp table for {machine}")
    arch, calls = _TABLES[machine]
    numbers = sorted(calls.values())
    code = [(_LD_W_ABS, 0, 0, _OFFSET_ARCH), (_JEQ_K, 1, 0, arch), (_RET_K, 0, 0, _RET_KILL_PROCESS)]
    code.append((_LD_W_ABS, 0, 0, _OFFSET_NR))
    if machine == "x86_64":
        code += [(_JGE_K, 0, 1, _X32_BIT), (_RET_K, 0, 0, _RET_KILL_PROCESS)]
    for number in numbers:
        code.append((_JEQ_K, 0, 1, number))
        code.append((_RET_K, 0, 0, _RET_ERRNO | errno.EPERM))
    code.append((_RET_K, 0, 0, _RET_ALLOW))
    instructions = (_Instruction * len(code))(*(_Instruction(*op) for op in code))
    program = _Program(len(code), instructions)
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_SECCOMP, _SECCOMP_MODE_FILTER, ctypes.byref(program), 0, 0) != 0:
        number = ctypes.get_errno()
        raise OSError(number, f"seccomp filter refused: {errno.errorcode.get(number, number)}")
