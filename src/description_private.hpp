// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <mutex>

#include <hbm/context.hpp>
#include <hbm/description.hpp>

namespace hbm {

// Hidden: the class is exported, its insides are not (check-exports.sh).
struct __attribute__((visibility("hidden"))) BufferDescription::Private {
	Private(std::shared_ptr<Context> c, Request r, Plan p)
		: context(std::move(c)), request(std::move(r)), plan(std::move(p))
	{
	}

	const std::shared_ptr<Context> context;
	const Request request;

	mutable std::mutex mutex;
	// Guarded by mutex.
	std::vector<Participant> participants;
	Plan plan;                      ///< as it stands; the storage's once allocated
	std::shared_ptr<Buffer> buffer; ///< set once, by allocate()
};

} // namespace hbm
