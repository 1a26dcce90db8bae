/* SPDX-License-Identifier: MIT */
#define _POSIX_C_SOURCE 200809L
#include "tinywl_encoder.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/videodev2.h>
#include <wlr/util/log.h>

/* Slots of the raw queue: wlroots' swapchains hold at most four buffers; a buffer keeps
 * its slot, so the driver keeps its dma-buf attached between frames. */
#define RAW_SLOTS 4
#define TIMEOUT_MS 10000

struct tinywl_encoder {
	int fd;
	FILE *out;
	uint32_t width, height;
	struct hbm_participant *participant;
	int streaming;
	const struct hbm_buffer *slot[RAW_SLOTS];
	unsigned next_slot;
	void *coded;
	size_t coded_length;
	struct tinywl_encoder_stats stats;
};

static int xioctl(int fd, unsigned long request, void *arg)
{
	int ret;
	do
		ret = ioctl(fd, request, arg);
	while (ret < 0 && errno == EINTR);
	return ret < 0 ? -errno : 0;
}

/* Whether the single-planar CAPTURE queue of @fd offers FWHT: vicodec's encoder. */
static int is_fwht_encoder(int fd)
{
	struct v4l2_fmtdesc desc = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
	for (desc.index = 0; xioctl(fd, VIDIOC_ENUM_FMT, &desc) == 0; desc.index++)
		if (desc.pixelformat == V4L2_PIX_FMT_FWHT)
			return 1;
	return 0;
}

static int open_fwht_encoder(char *path, size_t size)
{
	DIR *dev = opendir("/dev");
	if (!dev)
		return -1;
	int found = -1;
	struct dirent *entry;
	while (found < 0 && (entry = readdir(dev))) {
		if (strncmp(entry->d_name, "video", 5) != 0)
			continue;
		snprintf(path, size, "/dev/%s", entry->d_name);
		int fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (is_fwht_encoder(fd))
			found = fd;
		else
			close(fd);
	}
	closedir(dev);
	return found;
}

struct tinywl_encoder *tinywl_encoder_open(const char *path, uint32_t width, uint32_t height)
{
	char node[300];
	const int fd = open_fwht_encoder(node, sizeof(node));
	if (fd < 0) {
		wlr_log(WLR_ERROR, "tinywl_hbm: --encode: no V4L2 device whose CAPTURE queue makes FWHT (vicodec)");
		return NULL;
	}
	struct tinywl_encoder *encoder = calloc(1, sizeof(*encoder));
	if (!encoder) {
		close(fd);
		return NULL;
	}
	encoder->fd = fd;
	encoder->width = width;
	encoder->height = height;
	encoder->out = fopen(path, "wb");
	if (!encoder->out) {
		wlr_log_errno(WLR_ERROR, "tinywl_hbm: --encode: cannot write %s", path);
		tinywl_encoder_destroy(encoder);
		return NULL;
	}
	/* Every frame a key frame. */
	struct v4l2_control gop = {.id = V4L2_CID_MPEG_VIDEO_GOP_SIZE, .value = 1};
	if (xioctl(fd, VIDIOC_S_CTRL, &gop) != 0)
		wlr_log(WLR_INFO, "tinywl_hbm: %s keeps its GOP size", node);
	if (hbm_participant_create_for_v4l2(fd, HBM_V4L2_OUTPUT, width, height, &encoder->participant) != 0) {
		wlr_log(WLR_ERROR, "tinywl_hbm: --encode: %s", hbm_last_error());
		tinywl_encoder_destroy(encoder);
		return NULL;
	}
	wlr_log(WLR_INFO, "tinywl_hbm: encoding %ux%u frames with %s into %s", width, height, node, path);
	return encoder;
}

const struct hbm_participant *tinywl_encoder_participant(const struct tinywl_encoder *encoder)
{
	return encoder->participant;
}

/* The queues' formats from the first buffer (the raw one through hbm, which checks the
 * driver keeps the buffer's layout), raw slots imported by DMABUF, one coded buffer
 * mapped, both queues streaming. */
static int start(struct tinywl_encoder *encoder, const struct hbm_buffer *buffer)
{
	int err = hbm_v4l2_set_format(encoder->fd, HBM_V4L2_OUTPUT, buffer);
	if (err != 0) {
		wlr_log(WLR_ERROR, "tinywl_hbm: --encode: %s", hbm_last_error());
		return err;
	}
	struct v4l2_format coded = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
	coded.fmt.pix.pixelformat = V4L2_PIX_FMT_FWHT;
	coded.fmt.pix.width = hbm_buffer_get_width(buffer);
	coded.fmt.pix.height = hbm_buffer_get_height(buffer);
	struct v4l2_requestbuffers raw = {.count = RAW_SLOTS, .type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
					  .memory = V4L2_MEMORY_DMABUF};
	struct v4l2_requestbuffers one = {.count = 1, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
	struct v4l2_buffer mapped = {.index = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
	int type_raw = V4L2_BUF_TYPE_VIDEO_OUTPUT, type_coded = V4L2_BUF_TYPE_VIDEO_CAPTURE;
	const char *step;
	if ((err = xioctl(encoder->fd, VIDIOC_S_FMT, &coded)) != 0)
		step = "VIDIOC_S_FMT of the coded queue";
	else if ((err = xioctl(encoder->fd, VIDIOC_REQBUFS, &raw)) != 0 || raw.count < RAW_SLOTS)
		step = "VIDIOC_REQBUFS of 4 DMABUF raw buffers";
	else if ((err = xioctl(encoder->fd, VIDIOC_REQBUFS, &one)) != 0 || one.count < 1)
		step = "VIDIOC_REQBUFS of a coded buffer";
	else if ((err = xioctl(encoder->fd, VIDIOC_QUERYBUF, &mapped)) != 0)
		step = "VIDIOC_QUERYBUF of the coded buffer";
	else if ((encoder->coded = mmap(NULL, mapped.length, PROT_READ, MAP_SHARED, encoder->fd, mapped.m.offset)) ==
		 MAP_FAILED) {
		encoder->coded = NULL;
		err = -errno;
		step = "mmap of the coded buffer";
	} else if ((encoder->coded_length = mapped.length, err = xioctl(encoder->fd, VIDIOC_STREAMON, &type_raw)) != 0 ||
		   (err = xioctl(encoder->fd, VIDIOC_STREAMON, &type_coded)) != 0)
		step = "VIDIOC_STREAMON";
	else {
		encoder->streaming = 1;
		return 0;
	}
	if (!err)
		err = -ENOBUFS; /* the driver gave fewer buffers */
	wlr_log(WLR_ERROR, "tinywl_hbm: --encode: %s failed: %s", step, strerror(-err));
	return err;
}

static unsigned slot_of(struct tinywl_encoder *encoder, const struct hbm_buffer *buffer)
{
	for (unsigned i = 0; i < RAW_SLOTS; i++)
		if (encoder->slot[i] == buffer)
			return i;
	const unsigned i = encoder->next_slot++ % RAW_SLOTS;
	encoder->slot[i] = buffer;
	return i;
}

static int wait_for(int fd, short events)
{
	struct pollfd pfd = {.fd = fd, .events = events};
	const int n = poll(&pfd, 1, TIMEOUT_MS);
	return n > 0 ? 0 : n == 0 ? -ETIMEDOUT : -errno;
}

static void count_inode(struct tinywl_encoder *encoder, int fd)
{
	struct stat st;
	if (fstat(fd, &st) != 0)
		return;
	struct tinywl_encoder_stats *s = &encoder->stats;
	for (unsigned i = 0; i < s->inodes && i < 8; i++)
		if (s->inode[i] == (unsigned long)st.st_ino)
			return;
	if (s->inodes < 8)
		s->inode[s->inodes] = (unsigned long)st.st_ino;
	s->inodes++;
}

int tinywl_encoder_encode(struct tinywl_encoder *encoder, const struct hbm_buffer *buffer, int fd)
{
	int err;
	if (!encoder->streaming && (err = start(encoder, buffer)) != 0)
		return err;
	const off_t size = lseek(fd, 0, SEEK_END);
	uint32_t stride = 0;
	if (size <= 0 || hbm_buffer_get_plane(buffer, 0, &stride, NULL) != 0) {
		wlr_log(WLR_ERROR, "tinywl_hbm: --encode: the frame's dma-buf has no size");
		return -EINVAL;
	}
	struct v4l2_buffer raw = {.index = slot_of(encoder, buffer), .type = V4L2_BUF_TYPE_VIDEO_OUTPUT,
				  .memory = V4L2_MEMORY_DMABUF, .field = V4L2_FIELD_NONE};
	raw.m.fd = fd;
	raw.length = (uint32_t)size;
	raw.bytesused = stride * hbm_buffer_get_height(buffer);
	struct v4l2_buffer coded = {.index = 0, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE, .memory = V4L2_MEMORY_MMAP};
	const char *step = "VIDIOC_QBUF of the frame";
	if ((err = xioctl(encoder->fd, VIDIOC_QBUF, &raw)) != 0)
		goto failed;
	step = "VIDIOC_QBUF of the coded buffer";
	if ((err = xioctl(encoder->fd, VIDIOC_QBUF, &coded)) != 0)
		goto failed;
	step = "waiting for the coded frame";
	if ((err = wait_for(encoder->fd, POLLIN)) != 0)
		goto failed;
	step = "VIDIOC_DQBUF of the coded frame";
	if ((err = xioctl(encoder->fd, VIDIOC_DQBUF, &coded)) != 0)
		goto failed;
	/* The frame is read once the coded buffer is back; take its raw buffer back too. */
	step = "VIDIOC_DQBUF of the frame";
	if ((err = wait_for(encoder->fd, POLLOUT)) != 0 || (err = xioctl(encoder->fd, VIDIOC_DQBUF, &raw)) != 0)
		goto failed;
	if (coded.flags & V4L2_BUF_FLAG_ERROR) {
		wlr_log(WLR_ERROR, "tinywl_hbm: --encode: the encoder failed frame %u", encoder->stats.frames);
		return -EIO;
	}
	if (coded.bytesused > encoder->coded_length ||
	    fwrite(encoder->coded, 1, coded.bytesused, encoder->out) != coded.bytesused || fflush(encoder->out) != 0) {
		wlr_log(WLR_ERROR, "tinywl_hbm: --encode: writing frame %u failed", encoder->stats.frames);
		return -EIO;
	}
	encoder->stats.frames++;
	encoder->stats.bytes += coded.bytesused;
	count_inode(encoder, fd);
	return 0;
failed:
	wlr_log(WLR_ERROR, "tinywl_hbm: --encode: %s failed: %s", step, strerror(-err));
	return err;
}

void tinywl_encoder_get_stats(const struct tinywl_encoder *encoder, struct tinywl_encoder_stats *out)
{
	*out = encoder->stats;
}

void tinywl_encoder_destroy(struct tinywl_encoder *encoder)
{
	if (!encoder)
		return;
	if (encoder->streaming) {
		int type_raw = V4L2_BUF_TYPE_VIDEO_OUTPUT, type_coded = V4L2_BUF_TYPE_VIDEO_CAPTURE;
		xioctl(encoder->fd, VIDIOC_STREAMOFF, &type_raw);
		xioctl(encoder->fd, VIDIOC_STREAMOFF, &type_coded);
	}
	if (encoder->coded)
		munmap(encoder->coded, encoder->coded_length);
	hbm_participant_destroy(encoder->participant);
	if (encoder->out)
		fclose(encoder->out);
	close(encoder->fd);
	free(encoder);
}
