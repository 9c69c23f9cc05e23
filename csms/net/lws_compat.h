/* lws_compat.h: the one place for libwebsockets version differences.
 * The API used here is stable from 4.1.6 to 4.3. */
#ifndef CSMS_LWS_COMPAT_H
#define CSMS_LWS_COMPAT_H
#include <libwebsockets.h>

#if LWS_LIBRARY_VERSION_MAJOR < 4 || (LWS_LIBRARY_VERSION_MAJOR == 4 && LWS_LIBRARY_VERSION_MINOR < 1)
#error "libwebsockets 4.1 or newer is needed"
#endif

#endif
