// SPDX-License-Identifier: MIT
// The C ABI's thread-local error state (a sentence, a refusal as data), the size rule of
// extensible structs, the version and the log handler.
#include <cerrno>
#include <cstdarg>

#include <hbm/log.hpp>
#include <hbm/refusal.hpp>

#include "c_api_private.hpp"
#include "string_format.hpp"

// enum hbm_reason is hbm::RejectReason, value for value.
#define HBM_SAME_REASON(c, cpp) static_assert(uint32_t(c) == uint32_t(hbm::RejectReason::cpp), #c " differs")
HBM_SAME_REASON(HBM_REASON_NONE, None);
HBM_SAME_REASON(HBM_REASON_INVALID_CONSTRAINT, InvalidConstraint);
HBM_SAME_REASON(HBM_REASON_INVALID_REQUEST, InvalidRequest);
HBM_SAME_REASON(HBM_REASON_FORMAT_NOT_TAKEN, FormatNotTaken);
HBM_SAME_REASON(HBM_REASON_NO_COMMON_MODIFIER, NoCommonModifier);
HBM_SAME_REASON(HBM_REASON_MODIFIER_NOT_MADE, ModifierNotMade);
HBM_SAME_REASON(HBM_REASON_CPU_ONLY, CpuOnly);
HBM_SAME_REASON(HBM_REASON_ALLOCATOR_NOT_ALLOWED, AllocatorNotAllowed);
HBM_SAME_REASON(HBM_REASON_NOT_DEVICE_LOCAL, NotDeviceLocal);
HBM_SAME_REASON(HBM_REASON_NOT_AT_START, NotAtStart);
HBM_SAME_REASON(HBM_REASON_NOT_CONTIGUOUS, NotContiguous);
HBM_SAME_REASON(HBM_REASON_CACHING_MISMATCH, CachingMismatch);
HBM_SAME_REASON(HBM_REASON_ADDRESS_LIMIT, AddressLimit);
HBM_SAME_REASON(HBM_REASON_WIDTH_LIMIT, WidthLimit);
HBM_SAME_REASON(HBM_REASON_HEIGHT_LIMIT, HeightLimit);
HBM_SAME_REASON(HBM_REASON_STRIDE_LIMIT, StrideLimit);
HBM_SAME_REASON(HBM_REASON_STRIDE_ALIGNMENT, StrideAlignment);
HBM_SAME_REASON(HBM_REASON_OFFSET_ALIGNMENT, OffsetAlignment);
HBM_SAME_REASON(HBM_REASON_SIZE_LIMIT, SizeLimit);
HBM_SAME_REASON(HBM_REASON_LAYOUT_IMPOSSIBLE, LayoutImpossible);
HBM_SAME_REASON(HBM_REASON_CACHING_CONFLICT, CachingConflict);
HBM_SAME_REASON(HBM_REASON_ALLOCATORS_CONFLICT, AllocatorsConflict);
HBM_SAME_REASON(HBM_REASON_DEVICES_CONFLICT, DevicesConflict);
HBM_SAME_REASON(HBM_REASON_STORAGE_EXISTS, StorageExists);
HBM_SAME_REASON(HBM_REASON_NOT_ATTACHED, NotAttached);
HBM_SAME_REASON(HBM_REASON_NO_DMA_BUF_MEMORY, NoDmaBufMemory);
HBM_SAME_REASON(HBM_REASON_OUT_OF_MEMORY, OutOfMemory);
HBM_SAME_REASON(HBM_REASON_FIXED_SIZE, FixedSize);
HBM_SAME_REASON(HBM_REASON_FIXED_STRIDE, FixedStride);
HBM_SAME_REASON(HBM_REASON_FIXED_OFFSET, FixedOffset);
HBM_SAME_REASON(HBM_REASON_FIXED_TOO_SMALL, FixedTooSmall);
HBM_SAME_REASON(HBM_REASON_LAYOUTS_CONFLICT, LayoutsConflict);
#undef HBM_SAME_REASON

static_assert(int(HBM_LOG_DEBUG) == int(hbm::LogLevel::Debug) && int(HBM_LOG_INFO) == int(hbm::LogLevel::Info) &&
		      int(HBM_LOG_WARN) == int(hbm::LogLevel::Warn) && int(HBM_LOG_ERROR) == int(hbm::LogLevel::Error),
	      "hbm_log_level and hbm::LogLevel differ");

namespace hbm::capi {

namespace {

/// One rejection with the strings struct hbm_rejection points into.
struct RejectionView {
	std::string subject, why;
	std::vector<std::string> setBy;
	std::vector<const char *> setByPointers;
};

/// The calling thread's last failure.
struct LastFailure {
	std::string message;
	std::shared_ptr<const Refusal> refusal;
	std::vector<RejectionView> views; ///< one per refusal->rejections
};

thread_local LastFailure last;

} // namespace

int fail(const Error &error)
{
	last.message = error.toString();
	last.refusal = error.refusal;
	last.views.clear();
	if (error.refusal) {
		for (const Rejection &r : error.refusal->rejections) {
			RejectionView view{r.subject(), r.why(), {}, {}};
			for (const ParticipantIdentity &who : r.setBy)
				view.setBy.push_back(identityName(who));
			for (const std::string &name : view.setBy)
				view.setByPointers.push_back(name.c_str());
			last.views.push_back(std::move(view));
		}
	}
	return -error.code;
}

int fail(int code, const char *fmt, ...)
{
	va_list args;
	va_start(args, fmt);
	char buffer[1024];
	vsnprintf(buffer, sizeof(buffer), fmt, args);
	va_end(args);
	return fail(Error{code, buffer, nullptr});
}

int checkStructSize(const char *name, uint32_t size, size_t firstSize, size_t knownSize, std::string *why)
{
	if (size < firstSize) {
		*why = stringf("%s has size %u, smaller than its first version (%zu bytes): set size = sizeof(%s)", name,
			       size, firstSize, name);
		return -EINVAL;
	}
	if (size > knownSize) {
		*why = stringf("%s has size %u, larger than this libhbm (C API %u.%u) knows (%zu bytes): the program was built against a newer hbm.h",
			       name, size, HBM_API_VERSION_MAJOR, HBM_API_VERSION_MINOR, knownSize);
		return -E2BIG;
	}
	return 0;
}

} // namespace hbm::capi

using namespace hbm::capi;

extern "C" {

uint32_t hbm_get_version(void)
{
	return HBM_API_VERSION;
}

const char *hbm_reason_name(enum hbm_reason reason)
{
	return hbm::rejectReasonName(static_cast<hbm::RejectReason>(reason));
}

const char *hbm_last_error(void)
{
	return last.message.c_str();
}

enum hbm_reason hbm_last_reason(void)
{
	return static_cast<enum hbm_reason>(last.refusal ? last.refusal->reason() : hbm::RejectReason::None);
}

size_t hbm_last_rejection_count(void)
{
	return last.views.size();
}

int hbm_last_rejection(size_t index, struct hbm_rejection *out)
{
	if (index >= last.views.size())
		return -ERANGE;
	const hbm::Rejection &r = last.refusal->rejections[index];
	const RejectionView &view = last.views[index];
	hbm_rejection full{};
	full.reason = uint32_t(r.reason);
	full.allocator = r.allocator.c_str();
	full.format = r.format;
	full.flags = r.hasModifier ? HBM_REJECTION_HAS_MODIFIER : 0;
	full.modifier = r.modifier;
	full.value = r.value;
	full.limit = r.limit;
	full.plane = r.plane;
	full.set_by_count = uint32_t(view.setByPointers.size());
	full.set_by = view.setByPointers.data();
	full.subject = view.subject.c_str();
	full.why = view.why.c_str();
	return writeStruct("hbm_last_rejection", out, full, /*record=*/false);
}

void hbm_set_log_handler(hbm_log_func handler, void *user)
{
	if (!handler) {
		hbm::setLogHandler({});
		return;
	}
	hbm::setLogHandler([handler, user](hbm::LogLevel level, std::string_view category, const std::string &message) {
		handler(static_cast<enum hbm_log_level>(level), std::string(category).c_str(), message.c_str(), user);
	});
}

int hbm_set_log_levels(const char *spec)
{
	if (!spec)
		return fail(EINVAL, "hbm_set_log_levels: spec is NULL");
	auto set = hbm::setLogLevels(spec);
	return set ? 0 : fail(set.error());
}

} // extern "C"
