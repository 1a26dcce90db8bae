// SPDX-License-Identifier: MIT
#pragma once

#include <hbm/export.h>

namespace hbm {

/// Sole owner of a file descriptor: closes it when destroyed or reset. Move-only.
/// UniqueFd::reset() holds the only close() in hbm.
class HBM_EXPORT UniqueFd
{
public:
	UniqueFd() = default;
	explicit UniqueFd(int fd) : fd_(fd) {}
	~UniqueFd()
	{
		if (fd_ >= 0) // moved-from and empty descriptors are most of those destroyed
			reset();
	}

	UniqueFd(UniqueFd &&other) noexcept : fd_(other.release()) {}
	UniqueFd &operator=(UniqueFd &&other) noexcept
	{
		if (this != &other)
			reset(other.release());
		return *this;
	}
	UniqueFd(const UniqueFd &) = delete;
	UniqueFd &operator=(const UniqueFd &) = delete;

	int get() const { return fd_; }
	bool isValid() const { return fd_ >= 0; }
	explicit operator bool() const { return isValid(); }

	/// Gives up ownership and returns the descriptor (-1 if empty).
	int release()
	{
		int fd = fd_;
		fd_ = -1;
		return fd;
	}

	/// Closes the descriptor held, if any, and takes ownership of @fd.
	void reset(int fd = -1);

	/// A new descriptor for the same open file (close-on-exec). Empty on failure, with
	/// errno set.
	UniqueFd duplicate() const;

private:
	int fd_ = -1;
};

} // namespace hbm
