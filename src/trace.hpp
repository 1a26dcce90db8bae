// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <string>

#include <hbm/result.hpp>

#include <hbm/unique_fd.hpp>

namespace hbm::trace {

/// Records allocations and releases to a trace file ("hbm-trace 2", include/hbm/trace.hpp)
/// shared with other processes: opened for appending, the header written only into an
/// empty file (under flock), each record one write(), each line with the process id. A
/// file that holds anything but an hbm-trace 2 is left alone and nothing is recorded.
class Recorder
{
public:
	/// Records to @path; null or empty: records nothing.
	explicit Recorder(const char *path);

	bool enabled() const { return bool(fd_); }
	/// Records an allocation; returns its trace id (the process id in the upper 32 bits,
	/// the allocation's number in the lower), 0 when not recording.
	uint64_t recordAllocate(uint32_t width, uint32_t height, uint32_t format, uint64_t size,
				const std::string &allocator, uint64_t latencyNs);
	/// Records the release of @traceId, if this process recorded its allocation.
	void recordRelease(uint64_t traceId);
	/// Why recording stopped or a record was lost (the first such failure, also logged at
	/// error in category "trace"), or null.
	const Error *failure() const;

private:
	static bool writeLine(int fd, const char *line, size_t length);
	void writeRecord(const char *line, size_t length);
	void fail(Error error);

	UniqueFd fd_;
	std::string path_;
	std::mutex failureLock_;
	std::atomic<bool> failed_{false};
	Error failure_;
	std::atomic<uint32_t> nextId_{1};
};

/// Whether HBM_TRACE names a file recording can go to: the recorder, made at the first ask.
bool recorderEnabled();
/// Whether HBM_TRACE names a file to record to (read once per process; inline: every
/// allocation asks).
inline bool enabled()
{
	static const bool on = recorderEnabled();
	return on;
}
/// Records an allocation to HBM_TRACE's file; returns its id (0 when tracing is off).
uint64_t recordAllocate(uint32_t width, uint32_t height, uint32_t format, uint64_t size,
			const std::string &allocator, uint64_t latencyNs);
void recordRelease(uint64_t id);

} // namespace hbm::trace
