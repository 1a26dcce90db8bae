// SPDX-License-Identifier: MIT
// Fault injection at the system-call seam, for tests only (never in libhbm). A binary that
// links tests/fakes/fault_injection.cpp interposes the libc calls hbm makes — ioctl (also
// libdrm's drmIoctl and Mesa GBM's, which call it through the PLT), mmap, munmap (counted,
// never failed), dup and fcntl(F_DUPFD*), fcntl, sendmsg, recvmsg, getsockopt, memfd_create,
// open/openat, ftruncate, lseek, fstatfs, fstat, read, write, pread, flock — and forwards
// them to libc (dlsym(RTLD_NEXT)). Nothing is counted or failed unless a Recording is alive
// on the calling thread: gtest, other threads and the rest of the binary see plain libc.
//
// It also holds the fstatfs() that answers for dma-buf stand-ins (dma_buf_stand_in.hpp):
// one interposer serves both.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hbm::test::fault {

enum class Call : uint8_t {
	Ioctl,
	Mmap,
	Munmap,
	Dup,   ///< dup, dup2, dup3, fcntl(F_DUPFD), fcntl(F_DUPFD_CLOEXEC)
	Fcntl, ///< every other fcntl (F_GETFL, F_ADD_SEALS …)
	Sendmsg,
	Recvmsg,
	Getsockopt,
	MemfdCreate,
	Open, ///< open, openat
	Ftruncate,
	Lseek,
	Fstatfs,
	Fstat,
	Read,
	Write,
	Pread,
	Flock,
};
inline constexpr size_t kCallKinds = size_t(Call::Flock) + 1;

const char *callName(Call call);

/// One call the rig saw: its kind and, for an ioctl, its request code.
struct SeenCall {
	Call kind;
	unsigned long request = 0;
	bool releases = false; ///< a release (munmap, GEM_CLOSE …): counted, never failed
};

/// Fail the @nth call (1-based, counted from the Recording's start) of @kind, or of any
/// kind when @kind is empty, with @error; with @persistent, that call and every later one
/// (of that kind, or of any kind) fail. Release calls are counted and never failed: the
/// kernel does not fail them for these reasons, and failing them would leak by design.
struct Fault {
	std::optional<Call> kind;
	uint64_t nth = 1;
	int error = 0;
	bool persistent = false;
};

/// Counts (and, given a Fault, fails) the calls this thread makes while it is alive. One
/// at a time per thread.
class Recording
{
public:
	explicit Recording(std::optional<Fault> fault = std::nullopt);
	~Recording();
	Recording(const Recording &) = delete;
	Recording &operator=(const Recording &) = delete;

	/// Every call seen so far, in order.
	const std::vector<SeenCall> &calls() const { return calls_; }
	uint64_t count(Call kind) const;
	/// ioctls seen with this request code (e.g. DRM_IOCTL_MODE_CREATE_DUMB).
	uint64_t ioctlCount(unsigned long request) const;
	/// How many calls were failed, and which (indices into calls()).
	uint64_t injected() const { return failed_.size(); }
	const std::vector<size_t> &failed() const { return failed_; }
	/// "ioctl 3, mmap 1 …" for messages.
	std::string summary() const;

	/// For the interposers: records a call; true when it is to fail (errno is then set).
	bool onCall(Call kind, unsigned long request = 0);

private:
	std::optional<Fault> fault_;
	std::vector<SeenCall> calls_;
	std::array<uint64_t, kCallKinds> byKind_{};
	std::vector<size_t> failed_;
};

/// The name of an ioctl request hbm makes ("DMA_HEAP_IOCTL_ALLOC"), or its number in hex.
std::string ioctlName(unsigned long request);

} // namespace hbm::test::fault
