// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>

#include <hbm/result.hpp>

namespace hbm {

/// The rights @fd's open file was opened with: O_RDONLY, O_WRONLY or O_RDWR (F_GETFL &
/// O_ACCMODE; a duplicate or a received descriptor keeps them), with O_PATH set for a
/// descriptor that gives no access at all, or -errno.
int accessMode(int fd);

/// Owns one mmap() of a file; munmap()s it when destroyed. Move-only.
class Mapping
{
public:
	Mapping() = default;
	~Mapping()
	{
		if (addr_) // most buffers are never mapped
			reset();
	}
	Mapping(Mapping &&other) noexcept : addr_(other.addr_), size_(other.size_)
	{
		other.addr_ = nullptr;
		other.size_ = 0;
	}
	Mapping &operator=(Mapping &&other) noexcept;
	Mapping(const Mapping &) = delete;
	Mapping &operator=(const Mapping &) = delete;

	/// Shared mapping of @size bytes of @fd from offset 0: read-write, or read-only when
	/// @writable is false (a descriptor opened O_RDONLY cannot be mapped for writing).
	static Result<Mapping> map(int fd, size_t size, bool writable);

	uint8_t *data() const { return static_cast<uint8_t *>(addr_); }
	size_t size() const { return size_; }
	bool isValid() const { return addr_ != nullptr; }
	void reset();

private:
	void *addr_ = nullptr;
	size_t size_ = 0;
};

} // namespace hbm
