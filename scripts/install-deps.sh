#!/usr/bin/env bash
# Installs what hbm needs to build, test (host and lab) and run the demo on Debian 12.
set -euo pipefail

packages=(
	# build
	build-essential meson ninja-build pkg-config python3
	libdrm-dev libgbm-dev libpng-dev libtomlplusplus-dev
	libgtest-dev libgmock-dev libbenchmark-dev nlohmann-json3-dev
	# callgrind, for the instruction counts (benchmarks/instruction_ceiling.py)
	valgrind
	# drm_info, whose -j dumps the lab compares with the live devices (tests/device/drm_info_test.cpp)
	drm-info
	# libhbm-wayland and libhbm-egl
	libwayland-dev wayland-protocols libegl-dev libgles-dev
	# the real compositors the lab runs hbm's clients against (and sway's seat daemon)
	weston sway seatd
	# hbm-weston.so, the Weston module (weston.pc comes with weston, libweston-10.pc with this)
	libweston-10-dev
	# libhbm-wlroots and tinywl_hbm (wlroots 0.15)
	libwlroots-dev
	# the fuzzers: clang's libFuzzer and sanitizer runtimes
	clang libclang-rt-14-dev
	# the lab: a kernel we build, booted under qemu with a busybox initramfs
	qemu-system-x86 busybox-static cpio xz-utils linux-source-6.12
	# the lab test that watches what an embedded context opens
	strace
	# the C ABI compared with tests/abi/baseline/ (abidw, abidiff)
	abigail-tools
	# Mesa's kms_swrast: GBM on vkms in the guest (libgbm1 does not pull it in)
	libgl1-mesa-dri
	flex bison bc libelf-dev
)

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
echo "install-deps: installing ${missing[*]}"
$sudo apt-get update -q
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
