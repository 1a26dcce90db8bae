#!/usr/bin/env bash
# Builds (once) the lab kernel: Debian's linux-source-6.12, tinyconfig plus kernel.config,
# everything built in. Prints the path of the cached bzImage on stdout.
# A second caller while a build runs waits for it (flock) instead of building again.
set -euo pipefail
source "$(dirname "$0")/lab-env.sh"

key=$(lab_kernel_key)
out="$HBM_LAB_CACHE/kernel-$key"
if [ -s "$out/bzImage" ]; then
	echo "$out/bzImage"
	exit 0
fi

mkdir -p "$HBM_LAB_CACHE"
exec 9>"$HBM_LAB_CACHE/kernel.lock"
flock 9
if [ -s "$out/bzImage" ]; then
	echo "$out/bzImage"
	exit 0
fi

[ -r "$HBM_LAB_SRC_TARBALL" ] || lab_die "kernel source $HBM_LAB_SRC_TARBALL is missing: apt-get install linux-source-6.12"
for tool in make gcc flex bison bc; do
	command -v "$tool" >/dev/null || lab_die "kernel build needs '$tool': apt-get install build-essential flex bison bc libelf-dev"
done

work="$HBM_LAB_CACHE/build-$key"
log="$HBM_LAB_CACHE/build-$key.log"
rm -rf "$work"
mkdir -p "$work"
echo "lab: building kernel $key (log: $log); about 7 minutes on 2 cores" >&2
start=$(date +%s)

build() {
	tar -xf "$HBM_LAB_SRC_TARBALL" -C "$work" --strip-components=1
	cd "$work"
	make -s ARCH=x86_64 tinyconfig
	local name value
	while IFS='=' read -r name value; do
		case "$value" in
		y) scripts/config --enable "$name" ;;
		n) scripts/config --disable "$name" ;;
		*) scripts/config --set-val "$name" "$value" ;;
		esac
	done < <(grep -v '^[[:space:]]*\(#\|$\)' "$HBM_LAB_DIR/kernel.config")
	make -s ARCH=x86_64 olddefconfig
	# olddefconfig silently drops options whose dependencies are unmet: check each one.
	local missing=0
	while IFS='=' read -r name value; do
		if [ "$value" = n ]; then
			if grep -q "^CONFIG_$name=" .config; then
				echo "lab: CONFIG_$name should be off but is $(grep "^CONFIG_$name=" .config)" >&2
				missing=1
			fi
		elif ! grep -qx "CONFIG_$name=$value" .config; then
			echo "lab: CONFIG_$name=$value was not kept (got: $(grep "CONFIG_$name[= ]" .config || echo unset))" >&2
			missing=1
		fi
	done < <(grep -v '^[[:space:]]*\(#\|$\)' "$HBM_LAB_DIR/kernel.config")
	[ "$missing" = 0 ] || return 1
	make ARCH=x86_64 -j"$(nproc)" bzImage
}

if ! (build) >"$log" 2>&1; then
	tail -n 40 "$log" >&2
	lab_die "kernel build failed; full log in $log"
fi

mkdir -p "$out"
cp "$work/arch/x86/boot/bzImage" "$out/bzImage.tmp"
cp "$work/.config" "$out/config"
mv "$out/bzImage.tmp" "$out/bzImage"
rm -rf "$work"
echo "lab: kernel built in $(($(date +%s) - start)) s" >&2
echo "$out/bzImage"
