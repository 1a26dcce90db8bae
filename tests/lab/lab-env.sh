# Shared settings of the lab scripts; sourced, not run.
# The cache lives outside the work tree so a clean clone reuses a kernel built before.
HBM_LAB_SRC_TARBALL=${HBM_LAB_SRC_TARBALL:-/usr/src/linux-source-6.12.tar.xz}
HBM_LAB_CACHE=${HBM_LAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/hbm/lab}
HBM_LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

lab_die() {
	echo "lab: $*" >&2
	exit 1
}

# The kernel is keyed by the fragment, the build script and the exact source package
# version, so any change to one of them builds a new kernel and never reuses a stale one.
lab_kernel_key() {
	local srcver
	srcver=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null) ||
		srcver=$(stat -c '%s-%Y' "$HBM_LAB_SRC_TARBALL" 2>/dev/null) ||
		lab_die "no kernel source: install Debian's linux-source-6.12 ($HBM_LAB_SRC_TARBALL missing)"
	{ echo "$srcver"; cat "$HBM_LAB_DIR/kernel.config" "$HBM_LAB_DIR/build-kernel.sh"; } |
		sha256sum | cut -c1-16
}
