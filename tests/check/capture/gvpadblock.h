/* GhostView tests — hold a pad's stream back, as a busy element downstream
 * would (a leaky queue before it then fills and leaks).
 *
 * gv_pad_block_held() blocks @pad and waits (up to 5 s) until a buffer or
 * event is held there, so whatever comes next waits upstream of it; it
 * returns the probe's id (gst_pad_remove_probe() lets the stream go on), or
 * 0 when nothing came.
 */
#pragma once

#include <gst/gst.h>

static inline GstPadProbeReturn gv_pad_block_note_held (GstPad *, GstPadProbeInfo *, gpointer data)
{
  g_atomic_int_set (static_cast<gint *> (data), 1);
  return GST_PAD_PROBE_OK;
}

static inline gulong gv_pad_block_held (GstPad *pad)
{
  gint *held = g_new0 (gint, 1);
  gulong id = gst_pad_add_probe (pad, GST_PAD_PROBE_TYPE_BLOCK_DOWNSTREAM, gv_pad_block_note_held,
                                 held, g_free);
  gint64 until = g_get_monotonic_time () + 5 * G_USEC_PER_SEC;
  while (!g_atomic_int_get (held) && g_get_monotonic_time () < until)
    g_usleep (5 * 1000);
  if (g_atomic_int_get (held))
    return id;
  gst_pad_remove_probe (pad, id);
  return 0;
}
