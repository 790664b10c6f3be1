/* log.h — logging. Request lines are one JSON object per line on stdout;
 * diagnostics are one JSON object per line on stderr. Never log keys or media. */
#ifndef PORTICO_LOG_H
#define PORTICO_LOG_H
#include <stddef.h>

/* level: "info", "warn", "error". msg is a printf format. */
void log_msg(const char *level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Writes one complete line (already JSON) to stdout atomically. */
void log_line(const char *json);
/* Writes n bytes of whole lines, each ending in '\n', to stdout with one write(2). */
void log_write_lines(const char *lines, size_t n);

#define log_info(...) log_msg("info", __VA_ARGS__)
#define log_warn(...) log_msg("warn", __VA_ARGS__)
#define log_error(...) log_msg("error", __VA_ARGS__)

#endif
