// SPDX-License-Identifier: MIT
#include "fault_sweep.hpp"

#include <cstdio>
#include <linux/dma-buf.h>

namespace hbm::test::fault {

namespace {

constexpr unsigned kDrmIoctlType = 'd'; // DRM_IOCTL_BASE

std::string errnoName(int error)
{
	switch (error) {
	case ENOMEM: return "ENOMEM";
	case EINTR: return "EINTR";
	case EAGAIN: return "EAGAIN";
	case EMFILE: return "EMFILE";
	case ENODEV: return "ENODEV";
	default: return std::to_string(error);
	}
}

std::string describe(const SeenCall &call)
{
	return call.kind == Call::Ioctl ? ioctlName(call.request) : callName(call.kind);
}

bool mentionsOne(const std::string &text, const std::vector<std::string> &words)
{
	for (const std::string &w : words)
		if (text.find(w) != std::string::npos)
			return true;
	return false;
}

/// What this process holds that an operation must give back.
struct Holdings {
	size_t fds = 0;
	size_t mappings = 0;
	std::vector<size_t> counters;
};

Holdings holdings(const SweepOptions &options)
{
	Holdings h{openFdCount(), sharedMappingCount(), {}};
	for (const auto &c : options.counters)
		h.counters.push_back(c.second());
	return h;
}

} // namespace

bool mustBeRetried(const SeenCall &call, int error)
{
	if (error == EINTR)
		return call.kind == Call::Ioctl || call.kind == Call::Sendmsg || call.kind == Call::Recvmsg ||
		       call.kind == Call::Flock;
	if (error == EAGAIN && call.kind == Call::Ioctl)
		return call.request == DMA_BUF_IOCTL_SYNC || _IOC_TYPE(call.request) == kDrmIoctlType;
	return false;
}

std::vector<std::string> stepWords(const SeenCall &call)
{
	switch (call.kind) {
	case Call::Ioctl: {
		std::string name = ioctlName(call.request);
		std::vector<std::string> words = {name};
		if (name.rfind("DRM_IOCTL_", 0) == 0)
			words.push_back(name.substr(10));
		return words;
	}
	case Call::Mmap: return {"mmap"};
	case Call::Munmap: return {"munmap"};
	case Call::Dup: return {"dup", "F_DUPFD"};
	case Call::Fcntl: return {"fcntl", "F_GETFL", "F_ADD_SEALS", "seal"};
	case Call::Sendmsg: return {"sendmsg"};
	case Call::Recvmsg: return {"recvmsg"};
	case Call::Getsockopt: return {"getsockopt"};
	case Call::MemfdCreate: return {"memfd_create"};
	case Call::Open: return {"open"};
	case Call::Ftruncate: return {"ftruncate"};
	case Call::Lseek: return {"lseek"};
	case Call::Fstatfs: return {"fstatfs"};
	case Call::Fstat: return {"fstat"};
	case Call::Read: return {"read"};
	case Call::Write: return {"write"};
	case Call::Pread: return {"pread"};
	case Call::Flock: return {"flock"};
	}
	return {};
}

std::vector<SeenCall> dryRun(const Operation &operation, std::string *error)
{
	// The first run may do what later runs need not (a lazy open, a cache): count the second.
	(void)operation();
	Recording r;
	auto result = operation();
	if (!result && error)
		*error = result.error().toString();
	return r.calls();
}

SweepReport sweep(const Operation &operation, const SweepOptions &options)
{
	SweepReport report;
	std::string dryError;
	const std::vector<SeenCall> calls = dryRun(operation, &dryError);
	if (!dryError.empty()) {
		report.problems.push_back("the operation fails without any fault: " + dryError);
		return report;
	}
	report.calls = calls.size();
	{
		Recording again;
		(void)operation();
		report.summary = again.summary();
		if (again.calls().size() != calls.size())
			report.problems.push_back("the operation makes " + std::to_string(again.calls().size()) +
						  " calls, then " + std::to_string(calls.size()) +
						  ": a sweep over N needs the same calls each time");
	}

	for (uint64_t n = 1; n <= calls.size(); ++n) {
		const SeenCall &target = calls[n - 1];
		if (target.releases)
			continue; // never failed: see Fault
		for (bool persistent : {false, true}) {
			for (int error : persistent ? options.persistent : options.once) {
				const std::string what = "fault: call " + std::to_string(n) + " of " +
							 std::to_string(calls.size()) + " (" + describe(target) +
							 ") fails " + (persistent ? "from then on" : "once") +
							 " with " + errnoName(error);
				const Holdings before = holdings(options);
				Result<void> result;
				uint64_t injected = 0;
				// The step may be any call that failed: a persistent fault hbm tolerates at
				// call N (an flock) fails a later one too.
				std::vector<std::string> steps;
				bool lost = false;
				{
					Recording r(Fault{std::nullopt, n, error, persistent});
					result = operation();
					injected = r.injected();
					for (size_t index : r.failed()) {
						for (std::string &w : stepWords(r.calls()[index]))
							steps.push_back(std::move(w));
						lost = lost ||
						       (options.errnoLost && options.errnoLost(r.calls()[index]));
					}
				}
				++report.runs;
				report.injected += injected;
				if (injected == 0) {
					// The operation took another path before reaching call N; that is fine
					// once (fewer calls), but a sweep that injects nothing tests nothing.
					report.problems.push_back(what +
								  ": never reached (the operation's calls changed)");
					continue;
				}
				if (!result) {
					++report.errors;
					const Error &e = result.error();
					report.sentences.emplace(e.message, what);
					if (e.message.empty())
						report.problems.push_back(what + ": an error without a sentence");
					else if (lost && e.code != error) {
						if (!mentionsOne(e.message, options.errnoLostWords))
							report.problems.push_back(
								what +
								": the library that lost the errno is not named: " +
								e.toString());
					} else if (e.code != error)
						report.problems.push_back(
							what + ": the error says " + errnoName(e.code) + ", not the " +
							errnoName(error) + " the kernel gave: " + e.toString());
					else if (!mentionsOne(e.message, steps))
						report.problems.push_back(what +
									  ": the sentence does not name the step (" +
									  steps[0] + "): " + e.toString());
					if (!persistent && mustBeRetried(target, error))
						report.problems.push_back(
							what + ": should have been retried, failed: " + e.toString());
				}
				const Holdings after = holdings(options);
				if (after.fds != before.fds)
					report.problems.push_back(what + ": " + std::to_string(before.fds) +
								  " fds before, " + std::to_string(after.fds) +
								  " after:" + openFdList());
				if (after.mappings != before.mappings)
					report.problems.push_back(what + ": " + std::to_string(before.mappings) +
								  " shared mappings before, " +
								  std::to_string(after.mappings) + " after");
				for (size_t i = 0; i < options.counters.size(); ++i)
					if (after.counters[i] != before.counters[i])
						report.problems.push_back(what + ": " + options.counters[i].first +
									  " " + std::to_string(before.counters[i]) +
									  " before, " +
									  std::to_string(after.counters[i]) + " after");
				if (auto again = operation(); !again)
					report.problems.push_back(what +
								  ": unfaulted, the operation fails afterwards: " +
								  again.error().toString());
			}
		}
	}
	return report;
}

} // namespace hbm::test::fault
