#!/usr/bin/env bash
# closed_pipe_test.sh KOLMO CASE: kolmo writing to a reader that has gone away (`kolmo ... -help |
# head`) stops quietly on SIGPIPE, as Unix tools do, without PETSc's crash report. PETSc prints
# -help inside PetscInitialize, after installing its signal handler: kolmo writes into a pipe of one
# page that nobody reads, so it blocks there, and the reader then goes away.
python3 - "$@" <<'PY'
import fcntl, os, signal, subprocess, sys, time

kolmo, case = sys.argv[1], sys.argv[2]
F_SETPIPE_SZ = 1031  # Linux fcntl: the pipe's capacity
read_end, write_end = os.pipe()
fcntl.fcntl(write_end, F_SETPIPE_SZ, 4096)
run = subprocess.Popen([kolmo, "check", case, "-help"], stdout=write_end, stderr=subprocess.PIPE, text=True)
os.close(write_end)
time.sleep(2)  # kolmo fills the page and blocks on its next write
os.close(read_end)
errors = run.communicate(timeout=60)[1]
sys.stderr.write(errors)
if "PETSC ERROR" in errors:
    sys.exit("closed_pipe_test: PETSc reported the broken pipe")
if run.returncode != -signal.SIGPIPE:
    sys.exit(f"closed_pipe_test: exit status {run.returncode}, expected death by SIGPIPE")
print("closed_pipe_test: stopped quietly on SIGPIPE")
PY
