#!/usr/bin/env python3
"""pywinrm, unchanged, against an emulated Windows instance's WinRM endpoint.

usage: WINRM_PASSWORD=... pywinrm_fidelity.py http://127.0.0.1:PORT/wsman
Exits 0 when every check passes; prints one line per check.
"""
import base64
import os
import sys
import time

import winrm
from winrm.protocol import Protocol

url = sys.argv[1]
password = os.environ["WINRM_PASSWORD"]
failures = 0


def check(name, ok, detail=""):
    global failures
    print(("ok   " if ok else "FAIL ") + name + ("" if ok else ": " + detail))
    if not ok:
        failures += 1


session = winrm.Session(url, auth=("Administrator", password), transport="plaintext")

r = session.run_cmd("echo", ["hi"])
check("run_cmd echo", r.status_code == 0 and r.std_out == b"hi\r\n", repr((r.status_code, r.std_out, r.std_err)))

r = session.run_cmd("exit /b 4")
check("run_cmd exit code", r.status_code == 4, repr(r.status_code))

r = session.run_ps('Write-Output "hi from ps"\nexit 3')
check("run_ps exit code and stdout", r.status_code == 3 and r.std_out == b"hi from ps\r\n", repr((r.status_code, r.std_out)))

# Write-Error: CLIXML on stderr. pywinrm 0.3.0 (Debian bookworm) cannot clean stderr on
# Python 3 (bytes vs str in _clean_error_msg, fixed upstream later), so check it raw there.
try:
    session._clean_error_msg(b"")
    cleans = True
except TypeError:
    cleans = False
if cleans:
    r = session.run_ps('Write-Output "before"\nWrite-Error "oops"')
    check("run_ps stderr cleaned of CLIXML", r.status_code == 1 and b"oops" in r.std_err and b"<Objs" not in r.std_err,
          repr((r.status_code, r.std_err)))
else:
    encoded = base64.b64encode('Write-Error "oops"'.encode("utf_16_le")).decode()
    r = session.run_cmd("powershell -encodedcommand " + encoded)
    check("Write-Error as raw CLIXML", r.status_code == 1 and r.std_err.startswith(b"#< CLIXML\r\n<Objs") and b"oops" in r.std_err,
          repr((r.status_code, r.std_err)))

# The Receive/TimedOut loop: OperationTimeout 1 s against a 2.5 s command.
p = Protocol(url, transport="plaintext", username="Administrator", password=password,
             operation_timeout_sec=1, read_timeout_sec=3)
shell = p.open_shell(codepage=65001, noprofile=True)
script = base64.b64encode("Start-Sleep -Milliseconds 2500\nWrite-Output done".encode("utf_16_le")).decode()
started = time.time()
cid = p.run_command(shell, "powershell", ["-EncodedCommand", script])
out, err, code = p.get_command_output(shell, cid)
p.cleanup_command(shell, cid)
check("TimedOut loop", code == 0 and out == b"done\r\n" and time.time() - started >= 2.4, repr((code, out, err)))

# stdin through Send (send_command_input is newer than Debian's 0.3.0).
if hasattr(p, "send_command_input"):
    cid = p.run_command(shell, "more")
    p.send_command_input(shell, cid, b"hello stdin\n", end=True)
    out, err, code = p.get_command_output(shell, cid)
    p.cleanup_command(shell, cid)
    check("stdin via Send", code == 0 and out == b"hello stdin\n", repr((code, out, err)))
else:
    print("skip stdin via Send: this pywinrm has no send_command_input")
p.close_shell(shell)

bad = winrm.Session(url, auth=("Administrator", password + "x"), transport="plaintext")
try:
    bad.run_cmd("echo", ["never"])
    check("wrong password rejected", False, "command ran")
except Exception as e:  # InvalidCredentialsError (0.3.0 and 0.5.0)
    check("wrong password rejected", "InvalidCredentials" in type(e).__name__ or "401" in str(e), repr(e))

sys.exit(1 if failures else 0)
