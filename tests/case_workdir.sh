# Sourced (without arguments) by the CLI test scripts called as `SCRIPT KOLMO CASE MPI...`: takes
# KOLMO and CASE off the positional parameters (leaving the MPI launcher words in "$@"), copies CASE
# to case.yaml in a temporary directory that is removed on exit, enters it, and defines run(),
# which echoes a command before running it.
kolmo=$1
case_file=$2
shift 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$case_file" "$work/case.yaml"
cd "$work"
run() { echo "+ $*"; "$@"; }
