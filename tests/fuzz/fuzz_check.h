/* What every fuzz target shares: the check that turns a broken invariant
 * into a finding. libFuzzer reports an abort like a crash and saves the
 * input; the replay test (replay_main.cpp) fails on it the same way. */
#pragma once

#include <glib.h>

#include <cstdio>
#include <cstdlib>

#define GV_FUZZ_CHECK(cond)                                                                        \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf (stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);                \
      abort ();                                                                                    \
    }                                                                                              \
  } while (0)

/* A GLib critical (an API misused by our code: a g_return_if_fail that
 * failed) is a finding too. It aborts, which libFuzzer catches and saves
 * the input for; G_DEBUG=fatal-criticals would raise SIGTRAP instead, which
 * ended a run without the input (2026-12-03). */
namespace gv_fuzz {
inline void abort_on_critical (const gchar *domain, GLogLevelFlags level, const gchar *message,
                               gpointer)
{
  fprintf (stderr, "%s-CRITICAL: %s\n", domain ? domain : "GLib", message);
  if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
    abort ();
}
struct AbortOnCritical {
  AbortOnCritical ()
  {
    g_log_set_default_handler (
        [] (const gchar *domain, GLogLevelFlags level, const gchar *message, gpointer data) {
          if (level & (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_ERROR))
            abort_on_critical (domain, level, message, data);
          else
            g_log_default_handler (domain, level, message, data);
        },
        nullptr);
  }
};
inline AbortOnCritical abort_on_critical_installed;
} // namespace gv_fuzz
