// SPDX-License-Identifier: MIT
// What the host and lab fault sweeps (tests/unit/fault_injection_test.cpp,
// tests/device/fault_test.cpp) share: a sweep's report as a GoogleTest verdict, and the
// write-then-read-back that proves a buffer works again after the faults.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <gtest/gtest.h>

#include <hbm/buffer.hpp>

#include "fault_sweep.hpp"

namespace hbm::test::fault {

/// Prints what was swept (HBM_FAULT_SENTENCES=1: every distinct sentence and the fault that
/// made it) and fails on any problem, or when nothing was swept at all.
inline ::testing::AssertionResult clean(const SweepReport &report)
{
	std::printf(
		"sweep: %llu calls (%s); %llu faulted runs, %llu faults injected, %llu errors, %zu distinct sentences\n",
		(unsigned long long)report.calls, report.summary.c_str(), (unsigned long long)report.runs,
		(unsigned long long)report.injected, (unsigned long long)report.errors, report.sentences.size());
	if (std::getenv("HBM_FAULT_SENTENCES"))
		for (const auto &[sentence, fault] : report.sentences)
			std::printf("  %s\n    <- %s\n", sentence.c_str(), fault.c_str());
	if (report.runs == 0)
		return ::testing::AssertionFailure() << "nothing was swept";
	if (report.problems.empty())
		return ::testing::AssertionSuccess();
	auto failure = ::testing::AssertionFailure() << report.problems.size() << " problems:";
	for (const std::string &p : report.problems)
		failure << "\n  " << p;
	return failure;
}

/// Writes a byte through a CPU access and reads it back through another.
inline Result<void> writeAndRead(Buffer &buffer)
{
	{
		auto w = buffer.beginCpuAccess(CpuAccessMode::Write);
		if (!w)
			return w.error();
		w->plane(0)[0] = 0x5a;
		if (auto done = w->end(); !done)
			return done.error();
	}
	auto r = buffer.beginCpuAccess(CpuAccessMode::Read);
	if (!r)
		return r.error();
	if (r->plane(0)[0] != 0x5a)
		return Error{EIO, "the byte written is not read back"};
	return r->end();
}

} // namespace hbm::test::fault
