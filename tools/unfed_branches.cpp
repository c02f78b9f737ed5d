#include "unfed_branches.h"

namespace gv::launcher {
namespace {

bool all_sink_pads_unlinked (GstElement *e)
{
  if (e->numsinkpads == 0)
    return false;
  bool unlinked = true;
  GST_OBJECT_LOCK (e);
  for (GList *l = e->sinkpads; l; l = l->next)
    unlinked = unlinked && !gst_pad_is_linked (GST_PAD (l->data));
  GST_OBJECT_UNLOCK (e);
  return unlinked;
}

GstPad *only_src_pad (GstElement *e)
{
  GstPad *pad = nullptr;
  GST_OBJECT_LOCK (e);
  if (e->numsrcpads == 1)
    pad = GST_PAD (gst_object_ref (e->srcpads->data));
  GST_OBJECT_UNLOCK (e);
  return pad;
}

/* The chain from `start`; false when it must stay (it splits). `mux_pad`:
 * the muxer's pad it ends in, if any (a reference). */
bool follow_chain (GstElement *start, std::vector<GstElement *> &chain, GstPad *&mux_pad)
{
  for (GstElement *e = start; e;) {
    chain.push_back (e);
    if (e->numsrcpads == 0)
      return true;
    GstPad *src = only_src_pad (e);
    if (!src)
      return false;
    GstPad *peer = gst_pad_get_peer (src);
    gst_object_unref (src);
    if (!peer)
      return true;
    GstElement *next = gst_pad_get_parent_element (peer);
    if (!next) {
      gst_object_unref (peer);
      return true;
    }
    const bool mux = next->numsinkpads > 1;
    gst_object_unref (next); /* the bin holds it */
    if (mux) {
      mux_pad = peer;
      return true;
    }
    gst_object_unref (peer);
    e = next;
  }
  return true;
}

} // namespace

std::vector<std::string> remove_unfed_branches (GstBin *pipeline)
{
  std::vector<GstElement *> starts;
  GstIterator *it = gst_bin_iterate_elements (pipeline);
  GValue item = G_VALUE_INIT;
  while (gst_iterator_next (it, &item) == GST_ITERATOR_OK) {
    auto *e = GST_ELEMENT (g_value_get_object (&item));
    if (all_sink_pads_unlinked (e))
      starts.push_back (GST_ELEMENT (gst_object_ref (e)));
    g_value_reset (&item);
  }
  g_value_unset (&item);
  gst_iterator_free (it);

  std::vector<std::string> removed;
  for (GstElement *start : starts) {
    std::vector<GstElement *> chain;
    GstPad *mux_pad = nullptr;
    if (follow_chain (start, chain, mux_pad)) {
      std::string text;
      for (GstElement *e : chain)
        text += (text.empty () ? "" : " ! ") + std::string (GST_ELEMENT_NAME (e));
      if (mux_pad) {
        GstElement *mux = gst_pad_get_parent_element (mux_pad);
        GstPad *peer = gst_pad_get_peer (mux_pad);
        if (peer) {
          gst_pad_unlink (peer, mux_pad);
          gst_object_unref (peer);
        }
        if (mux) {
          text += " ! " + std::string (GST_ELEMENT_NAME (mux)) + "." + GST_PAD_NAME (mux_pad);
          GstPadTemplate *templ = gst_pad_get_pad_template (mux_pad);
          if (templ && GST_PAD_TEMPLATE_PRESENCE (templ) == GST_PAD_REQUEST)
            gst_element_release_request_pad (mux, mux_pad);
          if (templ)
            gst_object_unref (templ);
          gst_object_unref (mux);
        }
        gst_object_unref (mux_pad);
      }
      for (GstElement *e : chain) {
        gst_element_set_locked_state (e, TRUE);
        gst_element_set_state (e, GST_STATE_NULL);
        gst_bin_remove (pipeline, e);
      }
      removed.push_back (text);
    }
    gst_object_unref (start);
  }
  return removed;
}

} // namespace gv::launcher
