/* log.h: one line per event on stderr: time, level, module, message; as
 * text or as one JSON object (log_format json). */
#ifndef CSMS_LOG_H
#define CSMS_LOG_H

enum log_level { LOG_ERROR = 0, LOG_WARN, LOG_INFO, LOG_DEBUG };

enum log_format { LOG_TEXT = 0, LOG_JSON };

void log_set_level(enum log_level lvl);
void log_set_format(enum log_format fmt);
int log_enabled(enum log_level lvl);
void log_msg(enum log_level lvl, const char *module, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define LOGE(mod, ...) log_msg(LOG_ERROR, mod, __VA_ARGS__)
#define LOGW(mod, ...) log_msg(LOG_WARN, mod, __VA_ARGS__)
#define LOGI(mod, ...) log_msg(LOG_INFO, mod, __VA_ARGS__)
#define LOGD(mod, ...)                                        \
	do {                                                  \
		if (log_enabled(LOG_DEBUG))                   \
			log_msg(LOG_DEBUG, mod, __VA_ARGS__); \
	} while (0)

#endif
