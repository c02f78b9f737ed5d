// GhostView viewer page: the host's mouse pointer, drawn by the page. A host
// that leaves the pointer out of its frames (`ghostview host --cursor
// local`) sends its images (`cursor-shape`) and where it is (`cursor`) on
// the assist channel (assist.js); this draws the latest image at the latest
// place over the picture, scaled as the picture is (letterbox bars, zoom,
// fullscreen), its hot spot on the pointer's place. The place is in the
// pixels of the video frames this viewer gets (a native host divides it
// for a smaller layer); the image is in the shared screen's own pixels, so
// it is scaled by the size of what is shared (`shared`) when the page knows
// it, so a smaller layer does not make it larger. Nothing shows until a
// `cursor` comes (a host that draws the pointer into its frames sends
// none), while the host says the pointer is outside what it shares, or
// while no image is known.
//
// Cheap on purpose: a `cursor` only moves the overlay (CSS custom
// properties that ghostview.css turns into a transform); the image is drawn
// (putImageData) only when the shape in use changes; the picture's place is
// measured again only when something could have moved it.
// SPDX-License-Identifier: LGPL-2.1-or-later
import { AssistKind } from './assist.js';
import { pictureRect } from './input.js';

const MAX_SHAPES = 32; // pointer images kept by id: a host goes back and forth among a few
const SAME_ASPECT = 0.02; // a `shared` size this close to the video's shape is the same picture (a layer of it)

export class ViewerCursor {
  /**
   * `overlay`: a <canvas> inside `surface` (the <video>'s positioned box);
   * `sharedSize()`: the size of what the host shares ({width, height}, from
   * its latest `shared`), or null: the pointer's images are in those
   * pixels, which the video may carry scaled down (a lower layer).
   */
  constructor({ overlay, video, surface, sharedSize = () => null }) {
    Object.assign(this, { overlay, video, surface, sharedSize });
    this.context = overlay.getContext('2d');
    this.watching = false;
    this.shapes = new Map(); // id -> {id, width, height, hotX, hotY, image: ImageData}
    this.drawn = null; // the shape on the canvas
    this.position = null; // the latest `cursor`
    this.geometry = null; // where the picture is in the surface, and its scale; null: measure again
    this.received = { cursor: 0, shape: 0 };

    const remeasure = () => this.remeasure();
    // The surface (window, fullscreen, top bar) or the video's box changed size; a new frame size.
    new ResizeObserver(remeasure).observe(surface);
    new ResizeObserver(remeasure).observe(video);
    video.addEventListener('resize', remeasure);
    // Zoom and pan (touch.js) are custom properties on the video's style.
    new MutationObserver(remeasure).observe(video, { attributes: true, attributeFilter: ['style'] });
    document.addEventListener('fullscreenchange', remeasure);
  }

  /** A new session, or the assist channel gone: nothing known of the pointer. */
  reset() {
    this.shapes.clear();
    this.drawn = null;
    this.position = null;
    this.geometry = null;
    this.render();
  }

  /** Something may have moved or resized the picture, or changed what is shared: measure again. */
  remeasure() {
    this.geometry = null;
    this.render();
  }

  /** Whether the page shows a session. */
  set({ watching = this.watching }) {
    this.watching = watching;
    this.render();
  }

  /** A `cursor` or `cursor-shape` (a parseAssist result). */
  onMessage(msg) {
    if (msg.t === AssistKind.CURSOR_SHAPE) {
      this.received.shape++;
      this.shapes.delete(msg.shape); // re-added as the newest
      if (this.shapes.size >= MAX_SHAPES) this.shapes.delete(this.shapes.keys().next().value);
      this.shapes.set(msg.shape, {
        id: msg.shape, width: msg.width, height: msg.height, hotX: msg.hot_x, hotY: msg.hot_y,
        image: new ImageData(new Uint8ClampedArray(msg.rgba.buffer, msg.rgba.byteOffset, msg.rgba.length), msg.width, msg.height),
      });
    } else if (msg.t === AssistKind.CURSOR) {
      this.received.cursor++;
      this.position = msg;
    }
    this.render();
  }

  /**
   * The image to show: the one the latest `cursor` names; one the page was
   * never sent (too big to send) leaves the last one in place; none for 0.
   */
  shapeInUse() {
    const id = this.position ? this.position.shape : 0;
    if (id === 0) return null;
    return this.shapes.get(id) || this.drawn;
  }

  /**
   * Where the picture is drawn in the surface, frame pixels to CSS pixels
   * (scaleX, scaleY) and the shared screen's pixels to CSS pixels (imageX,
   * imageY); null without a picture.
   */
  measure() {
    if (this.geometry) return this.geometry;
    const picture = pictureRect(this.video);
    if (!picture) return null;
    const box = this.surface.getBoundingClientRect();
    const { videoWidth: width, videoHeight: height } = this.video;
    const g = {
      left: picture.left - box.left, top: picture.top - box.top,
      scaleX: picture.width / width, scaleY: picture.height / height,
    };
    g.imageX = g.scaleX;
    g.imageY = g.scaleY;
    const shared = this.sharedSize();
    if (shared && shared.width > 0 && shared.height > 0
      && Math.abs(shared.width / shared.height - width / height) <= SAME_ASPECT * (width / height)) {
      g.imageX = picture.width / shared.width;
      g.imageY = picture.height / shared.height;
    }
    this.geometry = g;
    return g;
  }

  render() {
    const pos = this.position;
    const shape = this.shapeInUse();
    const g = this.watching && pos && pos.visible && shape ? this.measure() : null;
    this.overlay.hidden = !g;
    if (!g) return;
    if (shape !== this.drawn) { // (a new image under the same id is a new shape too)
      this.overlay.width = shape.width;
      this.overlay.height = shape.height;
      this.context.putImageData(shape.image, 0, 0);
      this.drawn = shape;
    }
    const style = this.overlay.style;
    style.setProperty('--gv-cursor-x', `${g.left + pos.x * g.scaleX - shape.hotX * g.imageX}px`);
    style.setProperty('--gv-cursor-y', `${g.top + pos.y * g.scaleY - shape.hotY * g.imageY}px`);
    style.setProperty('--gv-cursor-w', `${shape.width * g.imageX}px`);
    style.setProperty('--gv-cursor-h', `${shape.height * g.imageY}px`);
  }

  /** What the page knows and shows (tests). */
  snapshot() {
    const shape = this.drawn;
    const pos = this.position;
    return {
      received: { ...this.received },
      position: pos ? { x: pos.x, y: pos.y, visible: pos.visible, shape: pos.shape } : null,
      shapes: [...this.shapes.keys()],
      drawn: shape ? shape.id : 0,
      hot: shape ? { x: shape.hotX, y: shape.hotY } : null,
      shown: !this.overlay.hidden,
    };
  }
}
