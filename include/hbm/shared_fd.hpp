// SPDX-License-Identifier: MIT
#pragma once

#include <memory>

#include <hbm/export.h>
#include <hbm/unique_fd.hpp>

namespace hbm {

/// A file descriptor with several owners: closed when the last copy goes away.
/// Planes of one allocation share one SharedFd.
class HBM_EXPORT SharedFd
{
public:
	SharedFd() = default;
	explicit SharedFd(UniqueFd fd)
		: fd_(fd.isValid() ? std::make_shared<UniqueFd>(std::move(fd)) : nullptr)
	{
	}

	int get() const { return fd_ ? fd_->get() : -1; }
	bool isValid() const { return fd_ != nullptr; }
	explicit operator bool() const { return isValid(); }

	/// A new, separately owned descriptor for the same file (e.g. to hand to a client).
	UniqueFd duplicate() const { return fd_ ? fd_->duplicate() : UniqueFd(); }

	bool operator==(const SharedFd &other) const { return fd_ == other.fd_; }

private:
	std::shared_ptr<UniqueFd> fd_;
};

} // namespace hbm
