// SPDX-License-Identifier: MIT
// The C ABI's KMS handle: framebuffers for the caller's own commits, on the caller's DRM
// descriptor, with the GEM handles they import owned by hbm (see hbm.h).
#include <cerrno>

#include "c_api_private.hpp"
#include "base/error.hpp"

namespace hbm::capi {

Result<std::shared_ptr<KmsDevice>> kmsDeviceOf(int fd, const char *function)
{
	auto device = KmsDevice::fromFd(fd);
	if (device)
		return device;
	Error error = withContext(device.error(), function);
	if (error.code == ENOTTY)
		error.code = ENODEV;
	return error;
}

} // namespace hbm::capi

using namespace hbm::capi;

extern "C" {

int hbm_kms_create_for_drm_fd(int drm_fd, struct hbm_kms **out)
{
	if (!out)
		return fail(EINVAL, "hbm_kms_create_for_drm_fd: out is NULL");
	auto device = kmsDeviceOf(drm_fd, "hbm_kms_create_for_drm_fd");
	if (!device)
		return fail(device.error());
	*out = new hbm_kms{std::move(*device), {}};
	return 0;
}

void hbm_kms_destroy(struct hbm_kms *kms)
{
	delete kms;
}

int hbm_kms_add_framebuffer(struct hbm_kms *kms, struct hbm_buffer *buffer, uint32_t *fb_id)
{
	if (!kms || !buffer || !fb_id)
		return fail(EINVAL, "hbm_kms_add_framebuffer: kms, buffer and fb_id must not be NULL");
	auto fb = kms->device->addFramebuffer(*buffer->buffer);
	if (!fb)
		return fail(fb.error());
	*fb_id = fb->id();
	kms->framebuffers.emplace(fb->id(), std::move(*fb));
	return 0;
}

int hbm_kms_remove_framebuffer(struct hbm_kms *kms, uint32_t fb_id)
{
	if (!kms)
		return fail(EINVAL, "hbm_kms_remove_framebuffer: kms is NULL");
	if (kms->framebuffers.erase(fb_id) == 0)
		return fail(ENOENT, "hbm_kms_remove_framebuffer: framebuffer %u was not added through this handle (%s)", fb_id,
			    kms->device->path().c_str());
	return 0;
}

} // extern "C"
