/* SPDX-License-Identifier: MIT */
/* tinywl_hbm's --encode: vicodec's stateful FWHT encoder reading every output frame
 * straight from the swapchain buffer the plane shows (V4L2_MEMORY_DMABUF: no copy), the
 * coded stream written to a file. Over hbm.h and linux/videodev2.h only; single-planar V4L2
 * (vicodec's default). Each frame is queued, encoded and dequeued before encode() returns,
 * so wlroots cannot render into a buffer the encoder is still reading. */
#ifndef TINYWL_ENCODER_H
#define TINYWL_ENCODER_H

#include <stdint.h>

#include <hbm/hbm.h>

struct tinywl_encoder;

/* The first /dev/video* whose CAPTURE queue offers V4L2_PIX_FMT_FWHT (vicodec's encoder),
 * for @width x @height frames, writing to @path; NULL (logged) when there is none. Every
 * frame is a key frame (GOP size 1): the recording can be cut, and checked, frame by frame. */
struct tinywl_encoder *tinywl_encoder_open(const char *path, uint32_t width, uint32_t height);
/* The encoder's raw-frame (OUTPUT) queue as an hbm participant, owned by the encoder: add
 * it to the allocator so that output buffers are made for it too. */
const struct hbm_participant *tinywl_encoder_participant(const struct tinywl_encoder *encoder);
/* Encodes @buffer, whose plane 0 is the dma-buf @fd (borrowed). The first frame sets the
 * queues' formats from @buffer (hbm_v4l2_set_format()); a layout the queue would change is
 * refused there, naming the queue. 0, or -errno (logged). */
int tinywl_encoder_encode(struct tinywl_encoder *encoder, const struct hbm_buffer *buffer, int fd);

struct tinywl_encoder_stats {
	unsigned frames;         /* frames encoded */
	unsigned long long bytes; /* of coded stream written */
	unsigned inodes;         /* distinct dma-bufs read, by inode */
	unsigned long inode[8];  /* the first eight of them */
};
void tinywl_encoder_get_stats(const struct tinywl_encoder *encoder, struct tinywl_encoder_stats *out);
void tinywl_encoder_destroy(struct tinywl_encoder *encoder);

#endif
