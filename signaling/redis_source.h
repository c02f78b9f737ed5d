/* A GSource that runs one hiredis asynchronous connection on a GLib main
 * context.
 *
 * hiredis ships a GLib adapter (adapters/glib.h), but its dispatch calls
 * redisAsyncHandleRead () after redisAsyncHandleWrite () on the same
 * context pointer even when the write failed and hiredis freed the context
 * inside it. This source forgets the context the moment hiredis cleans it
 * up, so nothing touches it afterwards. */
#pragma once

#include <glib.h>

struct redisAsyncContext;

namespace gv::signaling {

/* A new source driving `ac`, attached to `context` (nullptr: the thread's
 * default). The context owns the source; it stays attached, inert, after
 * hiredis frees `ac`: the caller destroys it then (g_source_destroy ()). */
GSource *attach_redis_source (redisAsyncContext *ac, GMainContext *context);

} // namespace gv::signaling
