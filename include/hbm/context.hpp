// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include <hbm/allocator.hpp>
#include <hbm/buffer.hpp>
#include <hbm/config.hpp>
#include <hbm/export.h>
#include <hbm/negotiation.hpp>
#include <hbm/result.hpp>

namespace hbm {

/// Where a program starts with hbm: it finds this machine's allocators (every dma-heap,
/// udmabuf, DRM dumb buffers and Mesa GBM on each KMS device, memfd) and allocates
/// buffers from them. Thread-safe.
class HBM_EXPORT Context : public std::enable_shared_from_this<Context>
{
public:
	/// Probes the allocators and applies the configuration in force (loadConfig()). A
	/// device that cannot be opened is left out (probeNotes() says why), never an error:
	/// memfd is always there. A malformed configuration is an error.
	static Result<std::shared_ptr<Context>> create();
	/// The same with @config instead of the configuration files.
	static Result<std::shared_ptr<Context>> create(const Config &config);

	const Config &config() const;
	/// A participant declared in configuration (`[participant.NAME]`).
	Result<Participant> declaredParticipant(const std::string &name) const;
	/// @participants with the configuration's device rules applied (what negotiate() uses).
	std::vector<Participant> withRules(std::vector<Participant> participants) const;

	~Context();
	Context(const Context &) = delete;
	Context &operator=(const Context &) = delete;

	/// The allocators, in the order allocate() tries them: dma-heaps with scattered pages,
	/// udmabuf, GBM, dumb buffers, contiguous (CMA) heaps, memfd.
	std::vector<AllocatorInfo> allocators() const;
	/// Why devices that exist were left out ("/dev/udmabuf: permission denied" …).
	std::vector<std::string> probeNotes() const;

	/// A buffer for @desc. With options.allocator (or HBM_ALLOCATOR) set, that allocator
	/// alone is used; otherwise each able allocator in turn, and the error of a refusal
	/// lists every one tried and why it failed.
	Result<std::shared_ptr<Buffer>> allocate(const BufferDesc &desc, const AllocationOptions &options = {});

	/// Negotiates a plan for @request that every participant accepts, from this machine's
	/// allocators (see hbm::negotiate()).
	Result<Plan> negotiate(const Request &request, const std::vector<Participant> &participants) const;
	/// Allocates what @plan says, from the allocator it chose.
	Result<std::shared_ptr<Buffer>> allocate(const Plan &plan);

	/// A buffer described but not allocated (cenalloc): participants attach to it, and it
	/// gets storage that suits them all at its first use. Refuses only a bad request.
	Result<std::shared_ptr<Buffer>> describe(const Request &request);

	struct Private;

private:
	friend struct ContextFactory;
	explicit Context(std::unique_ptr<Private> d);
	std::unique_ptr<Private> d_;
};

} // namespace hbm
