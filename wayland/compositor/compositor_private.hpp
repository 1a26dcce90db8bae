// SPDX-License-Identifier: MIT
// Inside libhbm-wayland's compositor side only.
#pragma once

#include <string>
#include <vector>

#include <hbm/result.hpp>
#include <hbm/unique_fd.hpp>
#include <hbm/wayland/compositor.hpp>

namespace hbm::wayland {

struct Feedback::Data {
	dev_t mainDevice = 0;
	std::vector<FormatTableEntry> table;
	std::vector<FeedbackTranche> tranches;
	FormatSet formats;
	UniqueFd tableFd;
	size_t tableSize = 0;
};

namespace detail {

/// An Error with @code (positive errno) and @message.
inline Error error(int code, std::string message)
{
	Error e;
	e.code = code > 0 ? code : EIO;
	e.message = std::move(message);
	return e;
}

} // namespace detail

} // namespace hbm::wayland
