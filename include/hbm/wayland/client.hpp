// SPDX-License-Identifier: MIT
#pragma once

// libhbm-wayland, client side: what a Wayland compositor says it can take
// (zwp_linux_dmabuf_v1: the v3 format list, or v4 feedback) as hbm participants, buffers
// negotiated for the compositor and the client's own devices, and each Buffer as one
// wl_buffer.

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <sys/types.h>

#include <hbm/buffer.hpp>
#include <hbm/config.hpp>
#include <hbm/context.hpp>
#include <hbm/export.h>
#include <hbm/format_set.hpp>
#include <hbm/negotiation.hpp>
#include <hbm/participant.hpp>
#include <hbm/result.hpp>

struct wl_buffer;
struct wl_display;
struct wl_surface;

namespace hbm::wayland {

/// zwp_linux_dmabuf_feedback_v1.tranche_flags
inline constexpr uint32_t kTrancheScanout = 1;

/// One tranche of feedback: pairs the compositor takes for buffers going to one device,
/// most preferred tranche first.
struct Tranche {
	dev_t targetDevice = 0; ///< 0 for a v3 format list
	uint32_t flags = 0;     ///< kTrancheScanout …
	FormatSet formats;
	bool scanout() const { return flags & kTrancheScanout; }
	bool operator==(const Tranche &) const = default;
};

/// What a compositor takes, as it said it to this client (the compositor side's own
/// hbm::wayland::Feedback is what a compositor builds to send): v4 feedback (default or for one surface), or the
/// v3 format list as a single tranche with no device.
struct DmabufFeedback {
	uint32_t version = 0;   ///< of the zwp_linux_dmabuf_v1 bound (3 or 4)
	dev_t mainDevice = 0;   ///< the compositor's renderer device; 0: unknown (v3)
	std::vector<Tranche> tranches;
	/// "default feedback", "feedback of wl_surface@12", "v3 format list": for sources.
	std::string origin;
	bool operator==(const DmabufFeedback &) const = default;
};

/// The facts about the compositor's main device a client cannot learn from the protocol.
struct MainDeviceInfo {
	std::string kernelDriver; ///< DRM_IOCTL_VERSION's name ("vkms"); "" unknown
	std::string node;         ///< the node it was read from ("/dev/dri/card1")
};

/// The kernel driver of DRM device @device: hbm::findDrmDevice() (which never leaves the
/// client DRM master), as MainDeviceInfo. ENODEV when no such node exists (the compositor
/// named a device this machine does not have).
HBM_EXPORT Result<MainDeviceInfo> lookUpDrmDevice(dev_t device);

/// @feedback as participants, one per tranche (WaylandTrancheIdentity), in its order.
/// The compositor composites a buffer with its renderer whenever the buffer is not on a
/// plane, so the renderer's placement applies to every tranche: when rendererLocality()
/// (hbm/renderer.hpp: @config's [renderer.NAME] rules, else the built-in table; @config
/// may be null) says the renderer on @mainDevice uses only its own memory, each
/// participant gets placement.localTo = the main device, and where its implicit layout is
/// linear, LINEAR joins each INVALID (the buffer is then sent as INVALID: see wlBuffer()).
/// v3 names no device: @assumedMainDevice (0: none) is taken for it, with that said in the
/// participant's source, so it shows in the plan's trace.
HBM_EXPORT std::vector<Participant> participantsFor(const DmabufFeedback &feedback, const MainDeviceInfo &mainDevice,
						   dev_t assumedMainDevice = 0, const Config *config = nullptr);

/// Tries @feedback's tranches in order: the first for which @context negotiates a plan
/// for @request with @own (the client's devices) and that tranche's participant. A
/// refusal lists each tranche's reason; its Error::refusal is the first tranche's.
HBM_EXPORT Result<Plan> negotiateForTranches(const Context &context, const Request &request,
					     const std::vector<Participant> &own,
					     const std::vector<Participant> &tranches);

/// The client side of zwp_linux_dmabuf_v1 on one wl_display. Not thread-safe: use it
/// from the thread that dispatches the display's default queue.
class HBM_EXPORT DmabufClient
{
public:
	struct Options {
		/// Highest version bound (3 or 4); the compositor's offer caps it.
		uint32_t maxVersion = 4;
		/// For v3 compositors, which name no device: the device taken for the
		/// compositor's renderer. 0: the only DRM device among @context's allocators, if
		/// there is exactly one (said in the participants' source).
		dev_t v3MainDevice = 0;
	};

	/// Binds zwp_linux_dmabuf_v1 on @display and reads the default feedback (v4) or the
	/// format list (v3) with a roundtrip on a private queue. ENOENT when the compositor
	/// offers no linux-dmabuf of version 3 or later; a malformed feedback is an error
	/// naming what was wrong.
	static Result<std::unique_ptr<DmabufClient>> create(wl_display *display, std::shared_ptr<Context> context,
							    const Options &options);
	static Result<std::unique_ptr<DmabufClient>> create(wl_display *display, std::shared_ptr<Context> context);
	~DmabufClient();
	DmabufClient(const DmabufClient &) = delete;
	DmabufClient &operator=(const DmabufClient &) = delete;

	/// wl_display_roundtrip() on the default queue, where feedback changes are read.
	Result<void> roundtrip();

	uint32_t version() const;
	/// The feedback in force: the last complete and valid default feedback.
	const DmabufFeedback &feedback() const;
	/// The compositor's main device as looked up (empty for v3 or an unknown device).
	const MainDeviceInfo &mainDevice() const;
	/// participantsFor() of the feedback in force.
	std::vector<Participant> participants() const;

	/// Called on the default queue when new default feedback has arrived whole (after its
	/// `done`), with the new feedback; a malformed one is reported with its error instead
	/// and the feedback in force stays.
	using FeedbackListener = std::function<void(const Result<DmabufFeedback> &)>;
	void setFeedbackListener(FeedbackListener listener);

	/// DmabufFeedback for @surface (v4 get_surface_feedback), read with a roundtrip; later
	/// changes for it reach @listener. v3: the format list, as feedback() is.
	Result<DmabufFeedback> surfaceFeedback(wl_surface *surface, FeedbackListener listener = {});

	/// A plan for @request that the compositor (the first tranche that can) and @own accept.
	Result<Plan> negotiate(const Request &request, const std::vector<Participant> &own = {}) const;
	/// negotiate() and the buffer, from the plan's allocator.
	Result<std::shared_ptr<Buffer>> allocate(const Request &request, const std::vector<Participant> &own = {});
	/// Whether @buffer suits the feedback in force: some tranche's participant passes
	/// Buffer::check() (nothing is recorded on the buffer); a refusal lists each tranche's
	/// reason. After a feedback change, a buffer refused here is one to drop.
	Result<void> acceptable(const Buffer &buffer) const;

	/// The wl_buffer of @buffer, made once (create_immed, or create and its created /
	/// failed events on a private queue when @immediate is false or the compositor has
	/// version 1) and kept while both live: destroyed with the buffer or the client.
	/// A linear buffer goes as INVALID to a compositor whose tranches list only INVALID
	/// for its format, when the renderer table says its implicit layout is linear.
	Result<wl_buffer *> wlBuffer(const std::shared_ptr<Buffer> &buffer, bool immediate = true);
	/// wl_buffers made so far (a frame loop that reuses its buffers keeps this still).
	uint64_t wlBuffersCreated() const;

	struct Private;

private:
	explicit DmabufClient(std::unique_ptr<Private> d);
	std::unique_ptr<Private> d_;
};

} // namespace hbm::wayland
