// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>

#include <hbm/export.h>
#include <hbm/unique_fd.hpp>

namespace hbm {

/// A file descriptor with several owners: closed when the last copy goes away.
/// Planes of one allocation share one SharedFd.
///
/// A descriptor with one owner costs no allocation: the shared count is made by the first
/// copy (most buffers' descriptors are never copied), and copies of one SharedFd may be
/// made from several threads at once. Two SharedFds are equal when they hold the same
/// open descriptor.
class HBM_EXPORT SharedFd
{
public:
	SharedFd() = default;
	explicit SharedFd(UniqueFd fd) : fd_(fd.release()) {}
	SharedFd(const SharedFd &other) : fd_(other.fd_), owners_(other.share()) {}
	SharedFd(SharedFd &&other) noexcept
		: fd_(other.fd_), owners_(other.owners_.load(std::memory_order_relaxed))
	{
		other.fd_ = -1;
		other.owners_.store(nullptr, std::memory_order_relaxed);
	}
	SharedFd &operator=(const SharedFd &other)
	{
		if (this != &other)
			*this = SharedFd(other);
		return *this;
	}
	SharedFd &operator=(SharedFd &&other) noexcept
	{
		if (this != &other) {
			if (fd_ >= 0) // as in the destructor: an empty one has nothing to give up
				drop();
			fd_ = other.fd_;
			owners_.store(other.owners_.load(std::memory_order_relaxed), std::memory_order_relaxed);
			other.fd_ = -1;
			other.owners_.store(nullptr, std::memory_order_relaxed);
		}
		return *this;
	}
	~SharedFd()
	{
		if (fd_ >= 0)
			drop();
	}

	int get() const { return fd_; }
	bool isValid() const { return fd_ >= 0; }
	explicit operator bool() const { return isValid(); }

	/// A new, separately owned descriptor for the same file (e.g. to hand to a client).
	UniqueFd duplicate() const;

	bool operator==(const SharedFd &other) const { return fd_ == other.fd_; }

private:
	using Owners = std::atomic<unsigned long>;
	/// The count of owners, made by the first copy (2: the original and the copy).
	Owners *share() const;
	/// Gives up this owner's share: the last one closes the descriptor.
	void drop();

	int fd_ = -1;
	/// Null while this is the only owner.
	mutable std::atomic<Owners *> owners_{nullptr};
};

} // namespace hbm
