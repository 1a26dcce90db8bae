// SPDX-License-Identifier: MIT
// Whether a device test runs in the lab, and the one rule for a device that is missing:
// skipped on the host (naming it), a failure in the lab guest, where it must exist. No
// dependency but GoogleTest, so tests linking libhbm.so (not the rig) use it too.
#pragma once

#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

namespace hbm::test {

/// True inside the lab guest (tests/lab/run.sh sets HBM_LAB=1), where every device the
/// tests need exists: missing there is a failure, not a skip.
inline bool inLab()
{
	const char *lab = std::getenv("HBM_LAB");
	return lab && std::string(lab) == "1";
}

} // namespace hbm::test

/// Skips on a machine without the device; fails in the lab, where it must exist.
#define HBM_REQUIRE_DEVICE(condition, reason)                                          \
	do {                                                                           \
		if (!(condition)) {                                                    \
			if (::hbm::test::inLab())                                      \
				FAIL() << "lab guest lacks a device: " << (reason);    \
			else                                                           \
				GTEST_SKIP() << (reason) << " (runs in the lab suite)"; \
		}                                                                      \
	} while (0)
