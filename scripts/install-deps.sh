#!/usr/bin/env bash
# Install, with apt-get, every Debian package Kolmo needs to build, test and run its examples.
# Installs only what is missing; does nothing (and needs no network) when all is there.
set -euo pipefail
packages=(
  g++ cmake ninja-build pkg-config make
  openmpi-bin libopenmpi-dev
  petsc-dev slepc-dev libhdf5-openmpi-dev
  libeigen3-dev libyaml-cpp-dev libmuparser-dev libfftw3-dev catch2
  freefem++ gnuplot-nox hdf5-tools
)
# Opt-in: KOLMO_WITH_TORCH=1 also installs the TorchScript backend's libtorch and the PyTorch used
# by examples/learned_torch (large; configure with -DKOLMO_WITH_TORCH=ON).
if [ "${KOLMO_WITH_TORCH:-0}" = "1" ]; then
  packages+=(libtorch-dev python3-torch python3-h5py)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "kolmo: installing missing Debian packages: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "kolmo: run as root or install: ${missing[*]}" >&2; exit 1; }
  sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
