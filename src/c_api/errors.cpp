// SPDX-License-Identifier: MIT
// The C ABI's thread-local error state (a sentence, a refusal as data) and its one
// recorder, the one reader and writer of extensible structs (the rules at the top of
// hbm.h, for libhbm-wayland and libhbm-egl too), the version and the log handler.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <cstdarg>

#include <hbm/log.hpp>
#include <hbm/refusal.hpp>

#include "c_api_private.hpp"
#include "base/string_format.hpp"

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
HBM_SAME_REASON(HBM_REASON_QUOTA_EXCEEDED, QuotaExceeded);
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

} // namespace hbm::capi

namespace hbm_seam {

using namespace hbm;
using namespace hbm::capi;

using capi::last;
using capi::RejectionView;

int recordError(const Error &error)
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
	return recordError(Error{code, buffer, nullptr});
}

namespace {

/// 0 if the caller's @size is one this library takes for @layout (the rule at the top of
/// hbm.h), else the -errno, with the sentence in @why. @bytes (the caller's struct, or
/// null for an out-struct) must be zero past what this library knows.
int checkSize(const StructLayout &layout, uint32_t size, const void *bytes, std::string *why)
{
	if (size < layout.firstSize) {
		*why = stringf("%s has size %u, smaller than its first version (%zu bytes): set size = sizeof(%s)",
			       layout.name, size, layout.firstSize, layout.name);
		return -EINVAL;
	}
	if (bytes && size > layout.knownSize) {
		const auto *tail = static_cast<const unsigned char *>(bytes);
		for (size_t i = layout.knownSize; i < size; ++i) {
			if (tail[i]) {
				*why = stringf("%s has size %u and byte %zu set, past the %zu bytes this libhbm (C API %u.%u) knows: the program was built against a newer hbm.h and asks for what this library cannot do",
					       layout.name, size, i, layout.knownSize, HBM_API_VERSION_MAJOR,
					       HBM_API_VERSION_MINOR);
				return -E2BIG;
			}
		}
	}
	return 0;
}

/// The caller's struct's size: its first field.
uint32_t sizeOf(const void *s)
{
	uint32_t size;
	std::memcpy(&size, s, sizeof(size));
	return size;
}

} // namespace

int readStruct(const char *function, const StructLayout &layout, const void *in, void *out)
{
	std::memset(out, 0, layout.knownSize);
	if (!in) {
		// NULL options: every field its default.
		const uint32_t size = uint32_t(layout.knownSize);
		std::memcpy(out, &size, sizeof(size));
		return 0;
	}
	const uint32_t size = sizeOf(in);
	std::string why;
	if (int err = checkSize(layout, size, in, &why))
		return fail(-err, "%s: %s", function, why.c_str());
	std::memcpy(out, in, std::min<size_t>(size, layout.knownSize));
	return 0;
}

int writeStruct(const char *function, const StructLayout &layout, void *out, const void *full, bool record)
{
	std::string why = stringf("%s is NULL", layout.name);
	const uint32_t size = out ? sizeOf(out) : 0;
	int err = !out ? -EINVAL : checkSize(layout, size, nullptr, &why);
	if (err)
		return record ? fail(-err, "%s: %s", function, why.c_str()) : err;
	auto *bytes = static_cast<unsigned char *>(out);
	const size_t known = std::min<size_t>(size, layout.knownSize);
	std::memcpy(bytes, full, known);
	std::memset(bytes + known, 0, size - known); // fields a newer header has: their defaults
	std::memcpy(bytes, &size, sizeof(size));
	return 0;
}

int readStructArray(const char *function, const StructLayout &layout, const void *array, uint32_t count, void *out)
{
	if (!count)
		return 0;
	if (!array)
		return fail(EINVAL, "%s: %u %s given but the array is NULL", function, count, layout.name);
	const auto *in = static_cast<const unsigned char *>(array);
	const uint32_t stride = sizeOf(in);
	for (uint32_t i = 0; i < count; ++i) {
		const unsigned char *element = in + size_t(i) * stride;
		if (sizeOf(element) != stride)
			return fail(EINVAL, "%s: %s %u has size %u but element 0 has %u: every element of the array has the size of the caller's struct",
				    function, layout.name, i, sizeOf(element), stride);
		if (int err = readStruct(function, layout, element, static_cast<unsigned char *>(out) + i * layout.knownSize))
			return err;
	}
	return 0;
}

} // namespace hbm_seam

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

void hbm_set_log_handler(hbm_log_func handler, void *user_data)
{
	if (!handler) {
		hbm::setLogHandler({});
		return;
	}
	hbm::setLogHandler([handler, user_data](hbm::LogLevel level, std::string_view category, const std::string &message) {
		handler(static_cast<enum hbm_log_level>(level), std::string(category).c_str(), message.c_str(), user_data);
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
