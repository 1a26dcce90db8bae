// SPDX-License-Identifier: MIT
// A video-like allocation trace (frames of a few sizes come and go, some kept longer),
// deterministic for a seed: shared by the trace tests and the region benchmarks.
#pragma once

#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <drm_fourcc.h>

namespace hbm::test {

inline std::string syntheticTrace(unsigned seed, size_t operations)
{
	std::mt19937 rng(seed);
	const uint64_t sizes[] = {3110400, 8294400, 1 << 20, 460800, 12441600};
	std::ostringstream out;
	out << "hbm-trace 1\n";
	std::vector<uint64_t> live;
	uint64_t id = 1, t = 0;
	for (size_t i = 0; i < operations; ++i) {
		t += 100;
		if (live.size() < 4 || (live.size() < 10 && rng() % 2)) {
			out << "a " << id << " " << t << " 1920 1080 0x" << std::hex << DRM_FORMAT_NV12 << std::dec << " "
			    << sizes[rng() % 5] << " dma-heap:system 1000\n";
			live.push_back(id++);
		} else {
			size_t k = rng() % live.size();
			out << "f " << live[k] << " " << t << "\n";
			live.erase(live.begin() + long(k));
		}
	}
	return out.str();
}

} // namespace hbm::test
