// SPDX-License-Identifier: MIT
#pragma once

#include <memory>
#include <span>
#include <string>
#include <vector>

#include <hbm/allocator.hpp>
#include <hbm/buffer.hpp>
#include <hbm/config.hpp>
#include <hbm/description.hpp>
#include <hbm/export.h>
#include <hbm/negotiation.hpp>
#include <hbm/result.hpp>

namespace hbm {

/// What a context may open and read. The defaults suit tools and demos (probe the machine,
/// read the configuration files); a compositor embedding hbm says exactly what it has.
/// What a context may open and read. The defaults are a compositor's: nothing is opened
/// or read that is not named here (a context of memfd alone), never a probe behind the
/// caller's back — the same as hbm.h's zeroed struct hbm_context_options. Context::create()
/// without options is the one that probes the machine.
struct ContextOptions {
	/// Open every dma-heap, /dev/udmabuf and each /dev/dri/card* (dumb buffers and GBM).
	/// False: nothing is opened but what the fields below name.
	bool probe = false;
	/// DRM devices the caller opened (from libseat, say), for dumb and GBM buffers on them.
	/// Borrowed: hbm keeps a duplicate, which shares the caller's open file (and so its GEM
	/// handles, as gbm_create_device(fd) does); it never takes or drops DRM master on it.
	std::vector<int> drmFds;
	/// dma-heaps to open by name ("system", "reserved" …) when @probe is false.
	std::vector<std::string> heaps;
	/// Open /dev/udmabuf when @probe is false.
	bool udmabuf = false;
	/// The configuration: null reads the files in force (loadConfig()) when
	/// @readConfiguration is true, and uses none when it is false.
	const Config *config = nullptr;
	bool readConfiguration = false;
};

/// Where a program starts with hbm: its allocators (every dma-heap, udmabuf, DRM dumb
/// buffers and Mesa GBM on each KMS device, memfd — or exactly those the options name) and
/// the configuration. Thread-safe: every method may be called from any thread.
class HBM_EXPORT Context : public std::enable_shared_from_this<Context>
{
public:
	/// Probes the allocators and applies the configuration in force (loadConfig()): the
	/// options {probe = true, readConfiguration = true}, for tools and demos. A
	/// device that cannot be opened is left out (probeNotes() says why), never an error:
	/// memfd is always there. A malformed configuration is an error.
	static Result<std::shared_ptr<Context>> create();
	/// The same with @config instead of the configuration files.
	static Result<std::shared_ptr<Context>> create(const Config &config);
	/// Opens and reads only what @options say. A DRM fd that is not a DRM device, or a
	/// heap that is not there, is an error naming it.
	static Result<std::shared_ptr<Context>> create(const ContextOptions &options);

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

	/// A buffer for @desc. With options.allocator (or HBM_ALLOCATOR, as it was when the
	/// context was made) set, that allocator alone is used; otherwise each able allocator in turn, and the error of a refusal
	/// lists every one tried and why it failed.
	Result<std::shared_ptr<Buffer>> allocate(const BufferDesc &desc, const AllocationOptions &options = {});

	/// Negotiates a plan for @request that every participant accepts, from this machine's
	/// allocators (see hbm::negotiate()).
	Result<Plan> negotiate(const Request &request, const std::vector<Participant> &participants) const;
	/// Allocates what @plan says, from the allocator it chose.
	Result<std::shared_ptr<Buffer>> allocate(const Plan &plan);

	/// The (format, modifier) pairs allocator @name can make: to intersect with a
	/// renderer's own set. ENOENT names the allocators there are.
	Result<FormatSet> allocatorFormats(const std::string &name) const;

	/// A buffer described but not allocated (cenalloc): participants attach to it, and
	/// BufferDescription::allocate() gives it storage that suits them all. Refuses only a
	/// bad request (EINVAL, RejectReason::InvalidRequest; ENOENT for an unknown kind): that
	/// no plan exists is the answer of attach() and allocate().
	Result<std::shared_ptr<BufferDescription>> describe(const Request &request);

	struct Private;

private:
	friend struct ContextFactory;
	friend Result<struct ForeignPage> foreignPageOf(const Context &context);
	friend class BufferDescription;
	explicit Context(std::unique_ptr<Private> d);
	std::unique_ptr<Private> d_;
};

} // namespace hbm
