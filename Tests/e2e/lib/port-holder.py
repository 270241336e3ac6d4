#!/usr/bin/env python3
"""port-holder.py STATUS [-- COMMAND...]

Holds one loopback TCP port for a test's whole life, so no other process can take it
between the phases of the test (a port probed free, released, then bound again later is
a race on a busy machine). The port is bound at once (127.0.0.1, port 0: the kernel picks
a free one) and reported; the signals switch what a client meets on it:

  (start)  bound but not listening: a connection is refused
  SIGUSR1  listening, connections accepted and never answered (open but silent)
  SIGUSR2  each connection served by COMMAND, with the connection as its stdin and
           stdout (inetd style: `sshd -i`, `cat RESPONSE`)
  SIGTERM  close everything and exit

Every event is appended to STATUS as a line, so the test waits for the event it needs
rather than for a guessed time:
  port N        bound, refusing
  silent        listening, silent
  connected K   the K-th connection was accepted while silent
  gave-up K     K silent connections were closed by their client
  serving       connections now go to COMMAND
  served K      K connections were served (COMMAND exited)
"""
import os
import select
import signal
import socket
import subprocess
import sys

status_path = sys.argv[1]
command = sys.argv[3:] if len(sys.argv) > 2 and sys.argv[2] == "--" else []


def note(line):
    with open(status_path, "a") as f:
        f.write(line + "\n")


wanted = []
for sig, mode in ((signal.SIGUSR1, "silent"), (signal.SIGUSR2, "serving"), (signal.SIGTERM, "exit")):
    signal.signal(sig, lambda _s, _f, m=mode: wanted.append(m))

listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
listener.bind(("127.0.0.1", 0))
note("port %d" % listener.getsockname()[1])

mode = "refusing"
held = []       # silent connections
children = []   # COMMANDs serving a connection
connected = gave_up = served = 0


def close_held():
    for c in held:
        c.close()
    held.clear()


while True:
    while wanted:
        w = wanted.pop(0)
        if w == "exit":
            close_held()
            for p in children:
                p.kill()
                p.wait()
            sys.exit(0)
        if w == "serving" and not command:
            continue
        if mode == "refusing":
            listener.listen(64)
        if w == "serving":
            close_held()
        mode = w
        note(mode)
    for p in list(children):
        if p.poll() is not None:
            children.remove(p)
            served += 1
            note("served %d" % served)
    watched = held + ([listener] if mode != "refusing" else [])
    try:
        readable = select.select(watched, [], [], 0.05)[0] if watched else []
    except InterruptedError:
        continue
    if not watched:
        select.select([], [], [], 0.05)
    for r in readable:
        if r is listener:
            conn, _ = listener.accept()
            if mode == "silent":
                held.append(conn)
                connected += 1
                note("connected %d" % connected)
            else:
                children.append(subprocess.Popen(command, stdin=conn, stdout=conn, close_fds=True))
                conn.close()
        else:
            # A silent connection: what the client sends is read and dropped; its EOF
            # means it gave up waiting.
            try:
                data = r.recv(4096)
            except OSError:
                data = b""
            if not data:
                held.remove(r)
                r.close()
                gave_up += 1
                note("gave-up %d" % gave_up)
