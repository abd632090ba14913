#!/bin/sh
# Runs a test binary under mpirun with N ranks (one thread each: the machine may have fewer
# cores than ranks). Exit 77 (CTest: skipped, shown in the summary) when mpirun is missing.
np="$1"; shift
if ! command -v mpirun >/dev/null 2>&1; then
  echo "SKIPPED: mpirun not found (install openmpi-bin, e.g. make deps); the distributed tests did not run"
  exit 77
fi
exec mpirun --oversubscribe --allow-run-as-root -np "$np" --bind-to none \
  -x OMP_WAIT_POLICY=PASSIVE "$@" --threads=1
