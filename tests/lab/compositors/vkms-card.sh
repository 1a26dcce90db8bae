# Sourced: vkms_card prints the vkms card's node (/dev/dri/cardN). vkms and vgem have no
# device/driver link in sysfs; debugfs names the driver of each minor.
vkms_card() {
	local name minor
	for name in /sys/kernel/debug/dri/*/name; do
		minor=$(basename "$(dirname "$name")")
		if read -r driver _ <"$name" && [ "$driver" = vkms ] && [ -e "/dev/dri/card$minor" ]; then
			echo "/dev/dri/card$minor"
			return 0
		fi
	done
	return 1
}
