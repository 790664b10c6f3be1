/* media.h — what a file is, judged by its bytes, and how large an image is.
 *
 * Used wherever Portico or the simulator must decide what a client handed it
 * (uploads, the simulator's compliance check). Every function here reads
 * untrusted bytes: each offset is checked against n before it is read, and
 * all of them work on a prefix of the file (the first ~64 KiB is enough to
 * find an image's dimensions in practice). */
#ifndef PORTICO_MEDIA_H
#define PORTICO_MEDIA_H
#include <stddef.h>
#include <stdint.h>

enum media_type {
    MEDIA_UNKNOWN = 0,
    MEDIA_JPEG,
    MEDIA_PNG,
    MEDIA_WEBP,
    MEDIA_GIF,
    MEDIA_BMP,
    MEDIA_TIFF,
    MEDIA_MP4,  /* an ISO BMFF file with an ftyp box not claimed below (mp4, m4v, 3gp) */
    MEDIA_WEBM, /* Matroska / WebM (EBML header) */
    MEDIA_MP3,
    MEDIA_WAV,
    MEDIA_OGG,
    MEDIA_FLAC,
    MEDIA_HEIC, /* HEIF with HEVC-coded images: ftyp brand heic/heix/hevc/hevx/heim/heis */
    MEDIA_HEIF, /* other HEIF: ftyp brand mif1/msf1 only (AVIF, which also says mif1, is not) */
    MEDIA_MOV,  /* QuickTime: ftyp major brand "qt  ", or a bare moov/mdat/wide first box */
};

/* By magic bytes only; MEDIA_UNKNOWN when nothing matches. */
enum media_type media_sniff(const uint8_t *p, size_t n);
/* The MIME type ("image/jpeg", ...); "application/octet-stream" for unknown. */
const char *media_type_name(enum media_type t);
int media_is_image(enum media_type t);
int media_is_video(enum media_type t);
int media_is_audio(enum media_type t);

/* Width and height of a JPEG (first SOF marker), PNG (IHDR), WebP (VP8,
 * VP8L, VP8X), GIF (logical screen), BMP (top-down too), TIFF (the first IFD
 * with ImageWidth/ImageLength, either byte order) or HEIC/HEIF (the primary
 * item's ispe property, rotated by its irot; else the largest ispe).
 * 0 on success; MEDIA_SIZE_CORRUPT when the bytes are corrupt or not of type
 * t; MEDIA_SIZE_TRUNCATED when they end before the dimensions, so a longer
 * prefix may still have them (a TIFF's IFD is often written after the pixels). */
#define MEDIA_SIZE_CORRUPT (-1)
#define MEDIA_SIZE_TRUNCATED (-2)
int media_image_size(const uint8_t *p, size_t n, enum media_type t, int *w, int *h);

/* The rule the upstream applies to reference images: each side 300..6000 px
 * and aspect ratio w/h within 0.4..2.5 (inclusive). 0 when it holds; else -1
 * and a one-sentence reason in msg (if msg_cap > 0), e.g.
 * "image is 200x200 px; each side must be 300 to 6000 px". */
#define MEDIA_MIN_SIDE 300
#define MEDIA_MAX_SIDE 6000
int media_check_image_dims(int w, int h, char *msg, size_t msg_cap);

#endif
