// SPDX-License-Identifier: MIT
#pragma once

// libhbm-wayland, compositor side: zwp_linux_dmabuf_v1 (versions 1 to 4) on a wl_display the
// compositor owns. A client's buffer params are checked by Buffer::import() — the one check
// of an imported layout — and each fault it reports is answered with the protocol error
// linux-dmabuf names (or `failed`); a valid buffer becomes an hbm::Buffer handed to the
// compositor, held by the wl_buffer resource until the client destroys it. Feedback (v4) is
// built from participants: the renderer's formats for its device, and a scanout tranche
// from KMS plane participants.
//
// Thread-safety: everything here runs on the wl_display's thread, as libwayland-server does.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include <sys/types.h>

#include <hbm/buffer.hpp>
#include <hbm/export.h>
#include <hbm/format_set.hpp>
#include <hbm/participant.hpp>
#include <hbm/result.hpp>
#include <hbm/unique_fd.hpp>

struct wl_display;
struct wl_resource;

namespace hbm::wayland {

/// One entry of the feedback's format table: 16 bytes on the wire (format, 4 bytes of
/// padding, modifier), as zwp_linux_dmabuf_feedback_v1.format_table defines it.
struct FormatTableEntry {
	uint32_t format = 0;
	uint64_t modifier = 0;
	bool operator==(const FormatTableEntry &) const = default;
};

/// One tranche of feedback: a target device, flags, and indices into the format table.
struct FeedbackTranche {
	dev_t targetDevice = 0;
	bool scanout = false; ///< ZWP_LINUX_DMABUF_FEEDBACK_V1_TRANCHE_FLAGS_SCANOUT
	std::vector<uint16_t> indices;
	bool operator==(const FeedbackTranche &) const = default;
};

/// Immutable linux-dmabuf feedback: main device, format table (kept in one sealed memfd
/// every client maps), tranches most preferred first. Copies share the memfd.
class HBM_EXPORT Feedback
{
public:
	/// Feedback for a compositor rendering with @renderer (its formats; its device is the
	/// main device: an EGL display's or a KMS device's dev_t, or else the device its
	/// placement is local to) that can also put buffers on @scanoutPlanes (KMS plane
	/// participants; cursor planes are left out): a first tranche flagged scanout for the
	/// planes' device, with the pairs both the planes and the renderer take (so that a
	/// buffer leaving the plane can still be composited), then the renderer's tranche.
	/// @mainDevice, when not 0, names the renderer's device for a renderer participant
	/// that does not (one declared from an EGL format query). Refused when no device is
	/// known or the renderer takes no format, or the table would pass 65536 entries
	/// (indices are 16 bits).
	static Result<Feedback> fromParticipants(const Participant &renderer,
						 std::span<const Participant> scanoutPlanes = {},
						 dev_t mainDevice = 0);

	/// No feedback (LinuxDmabuf::create() refuses it).
	Feedback() = default;
	bool empty() const;

	dev_t mainDevice() const;
	std::span<const FormatTableEntry> formatTable() const;
	std::span<const FeedbackTranche> tranches() const;
	/// Every pair of every tranche: what a buffer may use (v3's format/modifier events).
	const FormatSet &formats() const;
	/// The sealed memfd holding formatTable() (F_SEAL_SHRINK | GROW | WRITE | SEAL).
	int formatTableFd() const;
	size_t formatTableSize() const;

	struct Data;

private:
	explicit Feedback(std::shared_ptr<const Data> data) : d_(std::move(data)) {}
	std::shared_ptr<const Data> d_;
};

/// linux-dmabuf's flags of a created buffer (zwp_linux_buffer_params_v1.flags).
enum BufferFlags : uint32_t {
	BufferFlagYInvert = 1,
	BufferFlagInterlaced = 2,
	BufferFlagBottomFirst = 4,
};

/// What the compositor is told of each buffer a client made.
struct CreatedBuffer {
	wl_resource *resource = nullptr; ///< the wl_buffer; holds @buffer until destroyed
	std::shared_ptr<Buffer> buffer;
	uint32_t flags = 0; ///< BufferFlags
};

struct LinuxDmabufOptions {
	/// Highest version offered: 1 to 4. Feedback (get_default_feedback,
	/// get_surface_feedback) exists from 4; format+modifier events are sent below 4.
	uint32_t version = 4;
	/// What every client is told. A buffer's (format, modifier) must be in it or in the
	/// feedback set for some surface (setSurfaceFeedback()).
	Feedback feedback;
	/// Called for each valid buffer, once its wl_buffer exists. May be empty.
	std::function<void(const CreatedBuffer &)> bufferCreated;
};

/// The zwp_linux_dmabuf_v1 global. Destroying it removes the global; wl_buffers already
/// made stay valid (the protocol says so) and keep their Buffers.
class HBM_EXPORT LinuxDmabuf
{
public:
	static Result<std::unique_ptr<LinuxDmabuf>> create(wl_display *display, LinuxDmabufOptions options);
	~LinuxDmabuf();
	LinuxDmabuf(const LinuxDmabuf &) = delete;
	LinuxDmabuf &operator=(const LinuxDmabuf &) = delete;

	/// Sends @feedback to every feedback object of @surface (a wl_surface resource), now and
	/// for those made later; std::nullopt goes back to the default feedback.
	Result<void> setSurfaceFeedback(wl_resource *surface, std::optional<Feedback> feedback);

	/// The Buffer behind a wl_buffer this global made; null for any other resource.
	static std::shared_ptr<Buffer> bufferOf(wl_resource *buffer);

	struct Private;

private:
	explicit LinuxDmabuf(std::unique_ptr<Private> p);
	std::unique_ptr<Private> p_;
};

} // namespace hbm::wayland
