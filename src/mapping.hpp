// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>

#include <hbm/result.hpp>

namespace hbm {

/// Owns one mmap() of a file; munmap()s it when destroyed. Move-only.
class Mapping
{
public:
	Mapping() = default;
	~Mapping() { reset(); }
	Mapping(Mapping &&other) noexcept : addr_(other.addr_), size_(other.size_)
	{
		other.addr_ = nullptr;
		other.size_ = 0;
	}
	Mapping &operator=(Mapping &&other) noexcept;
	Mapping(const Mapping &) = delete;
	Mapping &operator=(const Mapping &) = delete;

	/// Shared, read-write mapping of @size bytes of @fd from offset 0.
	static Result<Mapping> map(int fd, size_t size);

	uint8_t *data() const { return static_cast<uint8_t *>(addr_); }
	size_t size() const { return size_; }
	bool isValid() const { return addr_ != nullptr; }
	void reset();

private:
	void *addr_ = nullptr;
	size_t size_ = 0;
};

} // namespace hbm
