// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <hbm/participant.hpp>
#include <hbm/export.h>
#include <hbm/result.hpp>

namespace hbm {

/// Properties of a dma-heap the kernel cannot tell: `[heap.NAME]`.
struct HeapConfig {
	std::string name;               ///< the dma-heap's name ("reserved", "linux,cma" …)
	std::optional<bool> contiguous;
	std::optional<bool> cached;
	uint64_t memoryEnd = 0;         ///< its memory lies below this address (0: unknown)
};

/// Constraints added to every participant that matches: `[device.RULE]`.
struct DeviceRule {
	std::string name;
	std::string drmDriver;  ///< match.drm_driver
	std::string sysfsPath;  ///< match.sysfs_path (prefix of the device's sysfs path)
	std::string v4l2Card;   ///< match.v4l2_card
	std::optional<bool> contiguous;
	/// contiguous_without_iommu: the device does DMA, so it needs physically contiguous
	/// memory unless an IOMMU maps it — decided per matching participant from its sysfs
	/// directory (an `iommu_group` that translates: scattered allowed; none: contiguous).
	/// Not together with `contiguous`, which decides regardless.
	bool contiguousWithoutIommu = false;
	uint64_t addressLimit = 0;
	uint32_t strideAlignment = 1;
	uint32_t offsetAlignment = 1;
	std::vector<uint32_t> formats; ///< if set, the participant takes only these
};

/// Overrides the renderer table (hbm::rendererLocality()) for renderers it matches:
/// `[renderer.NAME] match.drm_driver = "vkms"`, `match.mesa_driver = "kms_swrast"`,
/// `device_local = true|false`. Every match key given must be equal; at least one is.
struct RendererRule {
	std::string name;
	std::string drmDriver;  ///< match.drm_driver: the DRM kernel driver of the renderer's device
	std::string mesaDriver; ///< match.mesa_driver: Mesa's driver name (EGL_MESA_query_driver)
	bool deviceLocal = false; ///< the renderer can use only memory its own device made
};

/// An ordered list of allocators for a class of memory: `[kind.NAME] allocators = […]`.
struct KindConfig {
	std::string name;
	std::vector<std::string> allocators;
};

/// A carve-out of a heap reserved at start and sub-allocated: `[region.NAME]`.
struct RegionConfig {
	std::string name;
	std::string heap;                   ///< dma-heap name to carve from
	uint64_t size = 0;
	std::string algorithm = "best-fit"; ///< or "first-fit"
};

/// hbm's configuration: heaps, device rules, declared participants, kinds and regions.
struct Config {
	std::string origin; ///< where it came from, for messages
	std::vector<HeapConfig> heaps;
	std::vector<DeviceRule> rules;
	std::vector<Participant> participants; ///< `[participant.NAME]`: devices that cannot be probed
	std::vector<KindConfig> kinds;
	std::vector<RegionConfig> regions; ///< allocators named "region:NAME"
	std::vector<RendererRule> renderers; ///< `[renderer.NAME]`, in file order
};

/// Parses configuration text. @origin names it in errors ("/etc/hbm/hbm.toml:12:5: …").
/// @override is the one-line form (HBM_CONFIG_OVERRIDE): TOML statements separated by
/// ';' (one inside a string is the string's), applied over the file, e.g.
/// `kind.scanout.allocators=["dma-heap:reserved"];device.panel.match.drm_driver="sun4i-drm";
/// device.panel.contiguous=true` (or `device.panel.contiguous_without_iommu=true`: contiguous
/// only where the probe finds no IOMMU). Unknown keys, wrong types and bad values are errors with
/// line and column, for the override its column and the statement ("HBM_CONFIG_OVERRIDE:1:66:
/// statement 2 'heap.reserved.cached=1': …"). A fault in either refuses the whole
/// configuration: nothing is half-applied. A pure function of its input.
HBM_EXPORT Result<Config> parseConfig(std::string_view text, std::string_view origin,
				      std::string_view override = {});

/// The configuration in force: the file named by HBM_CONFIG, else /etc/hbm/hbm.toml, else
/// $XDG_CONFIG_HOME/hbm/hbm.toml (~/.config/hbm/hbm.toml), with HBM_CONFIG_OVERRIDE on
/// top. No file is an empty configuration, not an error; a file is read only if it is a
/// regular file of at most 1 MiB.
HBM_EXPORT Result<Config> loadConfig();

} // namespace hbm
