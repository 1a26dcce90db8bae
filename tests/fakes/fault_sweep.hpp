// SPDX-License-Identifier: MIT
// A sweep over one operation with the fault-injection rig (fault_injection.hpp): count the
// calls it makes, then for N = 1..count and each errno fail the Nth call once, and from the
// Nth on (persistent). After each run: no crash (we are still here), either success where
// the call is legitimately retried or an error with an errno and a sentence naming the
// step, exactly the fds and mappings (and, if asked, GEM handles) of before, and the same
// operation unfaulted succeeds again. docs/fault-injection.md says what is swept.
#pragma once

#include <cerrno>
#include <cstring>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include <hbm/result.hpp>

#include "fault_injection.hpp"
#include "process_resources.hpp"

namespace hbm::test::fault {

/// Releases everything it made before it returns.
using Operation = std::function<Result<void>()>;

struct SweepOptions {
	/// Errnos failed once at each N.
	std::vector<int> once = {ENOMEM, EINTR, EAGAIN, EMFILE, ENODEV};
	/// Errnos failed persistently from each N on. EINTR and EAGAIN are not: the answer to
	/// them is a retry, which an endless storm of them would keep spinning.
	std::vector<int> persistent = {ENOMEM, EMFILE, ENODEV};
	/// Further resources that must come back to where they were (GEM handles …).
	std::vector<std::pair<std::string, std::function<size_t()>>> counters;
	/// Calls made inside a library that does not pass the kernel's errno on (Mesa GBM
	/// returns NULL with EINVAL when its driver's DRM_IOCTL_MODE_CREATE_DUMB fails): when
	/// one of them failed, an error of another errno is accepted if its sentence holds one
	/// of @errnoLostWords (the library call that failed).
	std::function<bool(const SeenCall &)> errnoLost;
	std::vector<std::string> errnoLostWords;
};

struct SweepReport {
	uint64_t calls = 0;    ///< calls of the dry run
	std::string summary;   ///< of the dry run, by kind
	uint64_t runs = 0;     ///< faulted runs
	uint64_t injected = 0; ///< faults injected, over every run
	uint64_t errors = 0;   ///< runs that ended in an error
	std::vector<std::string> problems;
	/// Every distinct error sentence with the fault that caused it, for docs and review.
	std::map<std::string, std::string> sentences;
};

/// True where the call must be retried, so that the operation succeeds: EINTR once on a
/// call that blocks or that the kernel may interrupt (ioctl, sendmsg, recvmsg, flock),
/// EAGAIN once on DMA_BUF_IOCTL_SYNC (its uapi says so) and on every DRM ioctl (libdrm's
/// drmIoctl() retries it).
bool mustBeRetried(const SeenCall &call, int error);

/// Words one of which an error sentence must hold when @call failed with @error and hbm
/// passed the errno on: the step that failed.
std::vector<std::string> stepWords(const SeenCall &call);

SweepReport sweep(const Operation &operation, const SweepOptions &options = {});

/// The calls @operation makes (after one warm-up run), for dry-run checks.
std::vector<SeenCall> dryRun(const Operation &operation, std::string *error = nullptr);

} // namespace hbm::test::fault
