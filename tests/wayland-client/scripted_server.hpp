// SPDX-License-Identifier: MIT
// A linux-dmabuf compositor that says exactly what a test scripts, over a real Wayland
// connection: libwayland-server on a thread of the test process, the client on the other
// end of a socketpair. Not installed; tests only.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

#include <hbm/unique_fd.hpp>

struct wl_display;
struct wl_event_loop;
struct wl_event_source;
struct wl_resource;

namespace hbm::test {

struct ScriptEntry {
	uint32_t format;
	uint64_t modifier;
};

/// One batch of v4 feedback, `done` included.
struct ScriptedFeedback {
	bool sendTable = true;
	std::vector<ScriptEntry> table;
	int64_t announcedSize = -1; ///< the size sent; -1: the table's own
	int64_t fileSize = -1;      ///< the fd's real size; -1: the table's own
	bool sendMainDevice = true;
	std::vector<uint8_t> mainDeviceBytes; ///< empty: mainDevice as a dev_t
	dev_t mainDevice = 0;
	struct Tranche {
		dev_t target = 0;
		std::vector<uint16_t> indices;
		uint32_t flags = 0;
	};
	std::vector<Tranche> tranches;
};

/// What a params object received, at create / create_immed.
struct ReceivedBuffer {
	int32_t width = 0, height = 0;
	uint32_t format = 0, flags = 0;
	bool immediate = false;
	struct Plane {
		uint32_t index, offset, stride;
		uint64_t modifier;
	};
	std::vector<Plane> planes;
};

struct ServerScript {
	uint32_t version = 4;              ///< of the global; 0: no global
	std::vector<ScriptEntry> v3Pairs;  ///< `modifier` events at bind (v3)
	ScriptedFeedback defaultFeedback;
	ScriptedFeedback surfaceFeedback;
	bool failCreate = false; ///< answer create with `failed`
};

class ScriptedServer
{
public:
	explicit ScriptedServer(ServerScript script);
	~ScriptedServer();

	/// The client's end of the connection (owned by the caller's wl_display once connected).
	wl_display *connect();
	/// Runs @task on the server thread and waits for it.
	void run(const std::function<void()> &task);
	/// Sends @feedback on every default feedback object (a feedback change).
	void resendDefault(const ScriptedFeedback &feedback);

	std::vector<ReceivedBuffer> received();
	uint32_t liveBuffers();

	// Used by the protocol handlers, on the server thread.
	ServerScript script;
	std::vector<ReceivedBuffer> buffers;
	uint32_t live = 0;
	std::vector<wl_resource *> defaultFeedbacks;
	static void sendFeedback(wl_resource *resource, const ScriptedFeedback &feedback);

private:
	void loop();
	wl_display *server_ = nullptr;
	wl_event_loop *loop_ = nullptr;
	wl_event_source *wake_ = nullptr;
	UniqueFd wakeFd_;
	std::mutex mutex_;
	std::vector<std::function<void()>> tasks_;
	bool stop_ = false;
	std::thread thread_;
};

} // namespace hbm::test
