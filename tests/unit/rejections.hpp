// SPDX-License-Identifier: MIT
// Reading a refusal as data in tests: the first rejection of a reason.
#pragma once

#include <hbm/refusal.hpp>
#include <hbm/result.hpp>

namespace hbm::test {

/// The first rejection of @error for @reason, or null.
inline const Rejection *firstOf(const Error &error, RejectReason reason)
{
	if (!error.refusal)
		return nullptr;
	for (const Rejection &r : error.refusal->rejections)
		if (r.reason == reason)
			return &r;
	return nullptr;
}

} // namespace hbm::test
