#!/usr/bin/env python3
"""Runs a command under the seccomp filter systemd builds from a unit's SystemCallFilter=,
SystemCallErrorNumber= and RestrictAddressFamilies= (tests/integration/serviceSandbox.test.ts), so
the agent can be run in the service's sandbox without a running systemd.

    seccompExec.py POLICY.json -- COMMAND [ARGS...]

POLICY: {"allow": [syscall names], "errno": N, "families": [address family numbers]}
- a system call not in "allow" fails with errno N (systemd's SystemCallErrorNumber=);
- socket() with a family not in "families" fails with EAFNOSUPPORT, as systemd's
  RestrictAddressFamilies= does;
- names this architecture does not have are skipped, as systemd skips them;
- only the native architecture is allowed (SystemCallArchitectures=native; libseccomp's default).
Uses libseccomp through ctypes (libseccomp2 comes with systemd), then execs COMMAND: the filter
and no_new_privs (libseccomp sets it) stay with it and its children.
"""
import ctypes
import json
import os
import sys

SCMP_ACT_ALLOW = 0x7FFF0000
SCMP_CMP_EQ = 4
SCMP_CMP_GE = 5
EAFNOSUPPORT = 97
# Linux's AF_MAX (46 since 5.x): numbers from here on are no family at all.
AF_MAX = 46


def scmp_act_errno(errno):
    return 0x00050000 | (errno & 0xFFFF)


class ArgCmp(ctypes.Structure):
    _fields_ = [
        ("arg", ctypes.c_uint),
        ("op", ctypes.c_int),
        ("datum_a", ctypes.c_uint64),
        ("datum_b", ctypes.c_uint64),
    ]


def main():
    if "--" not in sys.argv or len(sys.argv) < 4:
        sys.exit("usage: seccompExec.py POLICY.json -- COMMAND [ARGS...]")
    sep = sys.argv.index("--")
    with open(sys.argv[1], encoding="utf-8") as f:
        policy = json.load(f)
    command = sys.argv[sep + 1:]
    try:
        lib = ctypes.CDLL("libseccomp.so.2", use_errno=True)
    except OSError as err:
        sys.exit(f"libseccomp is missing ({err}): sudo apt-get install -y libseccomp2")
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    lib.seccomp_rule_add_array.argtypes = [
        ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint, ctypes.POINTER(ArgCmp)]
    lib.seccomp_load.argtypes = [ctypes.c_void_p]

    ctx = lib.seccomp_init(scmp_act_errno(policy["errno"]))
    if not ctx:
        sys.exit("seccomp_init failed")

    def rule(action, nr, comparisons=()):
        array = (ArgCmp * len(comparisons))(*comparisons) if comparisons else None
        rc = lib.seccomp_rule_add_array(ctx, action, nr, len(comparisons), array)
        if rc < 0:
            raise OSError(-rc, f"seccomp_rule_add_array({nr})")

    for name in policy["allow"]:
        nr = lib.seccomp_syscall_resolve_name(name.encode())
        if nr >= 0 and name != "socket":
            rule(SCMP_ACT_ALLOW, nr)
    if "socket" in policy["allow"]:
        socket_nr = lib.seccomp_syscall_resolve_name(b"socket")
        for family in range(AF_MAX):
            action = SCMP_ACT_ALLOW if family in policy["families"] else scmp_act_errno(EAFNOSUPPORT)
            rule(action, socket_nr, [ArgCmp(0, SCMP_CMP_EQ, family, 0)])
        rule(scmp_act_errno(EAFNOSUPPORT), socket_nr, [ArgCmp(0, SCMP_CMP_GE, AF_MAX, 0)])
    rc = lib.seccomp_load(ctx)
    if rc < 0:
        raise OSError(-rc, "seccomp_load")
    os.execvp(command[0], command)


main()
