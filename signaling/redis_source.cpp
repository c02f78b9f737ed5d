#include "redis_source.h"

#include <hiredis/async.h>

namespace gv::signaling {
namespace {

struct RedisSource {
  GSource source;
  redisAsyncContext *ac;
  gpointer fd_tag;
  GIOCondition events;
};

void update (RedisSource *s, GIOCondition add, GIOCondition remove)
{
  s->events = (GIOCondition) ((s->events | add) & ~remove);
  if (s->fd_tag)
    g_source_modify_unix_fd (&s->source, s->fd_tag, s->events);
}

void add_read (void *data)
{
  update (static_cast<RedisSource *> (data), G_IO_IN, (GIOCondition) 0);
}
void del_read (void *data)
{
  update (static_cast<RedisSource *> (data), (GIOCondition) 0, G_IO_IN);
}
void add_write (void *data)
{
  update (static_cast<RedisSource *> (data), G_IO_OUT, (GIOCondition) 0);
}
void del_write (void *data)
{
  update (static_cast<RedisSource *> (data), (GIOCondition) 0, G_IO_OUT);
}

/* hiredis frees the context: forget it and its socket. */
void cleanup (void *data)
{
  auto *s = static_cast<RedisSource *> (data);
  s->ac = nullptr;
  if (s->fd_tag) {
    g_source_remove_unix_fd (&s->source, s->fd_tag);
    s->fd_tag = nullptr;
  }
}

gboolean dispatch (GSource *source, GSourceFunc, gpointer)
{
  auto *s = reinterpret_cast<RedisSource *> (source);
  if (!s->fd_tag)
    return G_SOURCE_CONTINUE;
  GIOCondition ready = g_source_query_unix_fd (source, s->fd_tag);
  if (s->ac && (ready & G_IO_OUT))
    redisAsyncHandleWrite (s->ac);
  /* The write may have failed and freed the context (cleanup ran). */
  if (s->ac && (ready & (G_IO_IN | G_IO_HUP | G_IO_ERR)))
    redisAsyncHandleRead (s->ac);
  return G_SOURCE_CONTINUE;
}

GSourceFuncs source_funcs = { nullptr, nullptr, dispatch, nullptr, nullptr, nullptr };

} // namespace

GSource *attach_redis_source (redisAsyncContext *ac, GMainContext *context)
{
  GSource *source = g_source_new (&source_funcs, sizeof (RedisSource));
  auto *s = reinterpret_cast<RedisSource *> (source);
  s->ac = ac;
  s->events = (GIOCondition) 0;
  s->fd_tag = g_source_add_unix_fd (source, ac->c.fd, s->events);
  g_source_set_name (source, "ghostview redis");
  ac->ev.addRead = add_read;
  ac->ev.delRead = del_read;
  ac->ev.addWrite = add_write;
  ac->ev.delWrite = del_write;
  ac->ev.cleanup = cleanup;
  ac->ev.data = s;
  g_source_attach (source, context);
  g_source_unref (source);
  return source;
}

} // namespace gv::signaling
