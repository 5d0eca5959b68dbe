/* Admit: pinch-zoom and pan for the seat map's SVG, on the Pointer Events API (no library).
   Two fingers pinch and move the map; one finger pans it once it is zoomed in (at the whole
   map a vertical swipe still scrolls the page); Ctrl + wheel (a trackpad's pinch) zooms on
   desktops; the toolbar's buttons zoom for everyone else. Only the viewBox changes: the
   seats stay SVG elements, so taps, keys and screen readers reach them as before. A drag never
   ends in a click on the seat under the finger. */
(function () {
  "use strict";

  var DRAG_PX = 8; // a finger moving less than this is a tap, not a pan

  function PanZoom(svg, maxScale) {
    var box = svg.viewBox.baseVal;
    this.svg = svg;
    this.base = [box.x, box.y, box.width, box.height];
    this.view = this.base.slice();
    this.maxScale = Math.max(1, maxScale || 8);
    this.pointers = {};
    this.gesture = null;
    this.suppressClick = false;
    this.lastPointerType = "mouse";
    this.listeners = [];
    this.wire();
    this.apply();
  }

  PanZoom.prototype.scale = function () {
    return this.base[2] / this.view[2];
  };

  // Screen pixels per map unit now (the SVG keeps its aspect: "meet").
  PanZoom.prototype.pixelsPerUnit = function () {
    var ctm = this.svg.getScreenCTM();
    return ctm ? ctm.a : 1;
  };

  PanZoom.prototype.toMap = function (clientX, clientY) {
    var ctm = this.svg.getScreenCTM();
    if (!ctm) return [this.view[0] + this.view[2] / 2, this.view[1] + this.view[3] / 2];
    var p = this.svg.createSVGPoint();
    p.x = clientX; p.y = clientY;
    var m = p.matrixTransform(ctm.inverse());
    return [m.x, m.y];
  };

  PanZoom.prototype.apply = function () {
    var v = this.view;
    this.svg.setAttribute("viewBox", v.join(" "));
    // Zoomed in, every finger belongs to the map; at the whole map the page still scrolls.
    this.svg.style.touchAction = this.scale() > 1.01 ? "none" : "pan-y";
    this.svg.setAttribute("data-scale", this.scale().toFixed(3));
  };

  PanZoom.prototype.clamp = function () {
    var b = this.base, v = this.view;
    v[2] = Math.min(b[2], Math.max(b[2] / this.maxScale, v[2]));
    v[3] = v[2] * b[3] / b[2];
    v[0] = Math.min(b[0] + b[2] - v[2], Math.max(b[0], v[0]));
    v[1] = Math.min(b[1] + b[3] - v[3], Math.max(b[1], v[1]));
  };

  // Zoom by ``factor`` keeping the map point under (clientX, clientY) where it is.
  PanZoom.prototype.zoomAt = function (factor, clientX, clientY, from) {
    var start = from || this.view, anchor = this.toMapFrom(start, clientX, clientY);
    var w = start[2] / factor;
    w = Math.min(this.base[2], Math.max(this.base[2] / this.maxScale, w));
    var k = w / start[2];
    this.view = [
      anchor[0] - (anchor[0] - start[0]) * k,
      anchor[1] - (anchor[1] - start[1]) * k,
      w,
      start[3] * k
    ];
    this.clamp();
    this.apply();
  };

  // The map point under a client point for a given view (the CTM of that view).
  PanZoom.prototype.toMapFrom = function (view, clientX, clientY) {
    var saved = this.view;
    if (view !== saved) { this.view = view; this.svg.setAttribute("viewBox", view.join(" ")); }
    var point = this.toMap(clientX, clientY);
    if (view !== saved) { this.view = saved; this.svg.setAttribute("viewBox", saved.join(" ")); }
    return point;
  };

  PanZoom.prototype.zoomCentre = function (factor) {
    var r = this.svg.getBoundingClientRect();
    this.zoomAt(factor, r.left + r.width / 2, r.top + r.height / 2);
  };

  // Zoom to ``scale`` (of the whole map) with the map point (x, y) in the middle.
  PanZoom.prototype.centreOn = function (x, y, scale) {
    var w = this.base[2] / Math.min(this.maxScale, Math.max(1, scale || this.scale()));
    var h = w * this.base[3] / this.base[2];
    this.view = [x - w / 2, y - h / 2, w, h];
    this.clamp();
    this.apply();
  };

  PanZoom.prototype.reset = function () {
    this.view = this.base.slice();
    this.apply();
  };

  PanZoom.prototype.panBy = function (dxPixels, dyPixels) {
    var k = 1 / this.pixelsPerUnit();
    this.view[0] -= dxPixels * k;
    this.view[1] -= dyPixels * k;
    this.clamp();
    this.apply();
  };

  PanZoom.prototype.on = function (target, name, fn, options) {
    target.addEventListener(name, fn, options);
    this.listeners.push([target, name, fn, options]);
  };

  PanZoom.prototype.destroy = function () {
    this.listeners.forEach(function (l) { l[0].removeEventListener(l[1], l[2], l[3]); });
    this.listeners = [];
  };

  PanZoom.prototype.wire = function () {
    var self = this;
    this.on(this.svg, "pointerdown", function (e) {
      self.lastPointerType = e.pointerType;
      self.suppressClick = false; // a new touch: its own click is a real one
      self.pointers[e.pointerId] = [e.clientX, e.clientY];
      self.startGesture();
    });
    this.on(window, "pointermove", function (e) {
      if (!self.pointers[e.pointerId]) return;
      self.pointers[e.pointerId] = [e.clientX, e.clientY];
      self.moveGesture(e);
    });
    var up = function (e) {
      if (!self.pointers[e.pointerId]) return;
      delete self.pointers[e.pointerId];
      if (self.gesture && self.gesture.moved) self.suppressClick = true;
      self.startGesture();
    };
    this.on(window, "pointerup", up);
    this.on(window, "pointercancel", up);
    // A pan or pinch is not a tap on the seat where it ended.
    this.on(this.svg, "click", function (e) {
      if (self.suppressClick) { self.suppressClick = false; e.stopPropagation(); e.preventDefault(); }
    }, true);
    this.on(this.svg, "wheel", function (e) {
      if (!e.ctrlKey) return; // a plain wheel scrolls the page
      e.preventDefault();
      self.zoomAt(Math.exp(-e.deltaY / 200), e.clientX, e.clientY);
    }, { passive: false });
  };

  PanZoom.prototype.ids = function () {
    return Object.keys(this.pointers);
  };

  PanZoom.prototype.startGesture = function () {
    var ids = this.ids(), moved = this.gesture ? this.gesture.moved : false;
    if (!ids.length) { this.gesture = null; return; }
    var a = this.pointers[ids[0]], b = ids.length > 1 ? this.pointers[ids[1]] : null;
    this.gesture = {
      view: this.view.slice(),
      a: a.slice(),
      mid: b ? [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] : a.slice(),
      dist: b ? Math.hypot(a[0] - b[0], a[1] - b[1]) : 0,
      two: !!b,
      moved: moved
    };
  };

  PanZoom.prototype.moveGesture = function (e) {
    var g = this.gesture, ids = this.ids();
    if (!g) return;
    var a = this.pointers[ids[0]];
    if (g.two && ids.length > 1) {
      var b = this.pointers[ids[1]];
      var dist = Math.hypot(a[0] - b[0], a[1] - b[1]), mid = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
      if (!g.moved && Math.abs(dist - g.dist) < DRAG_PX && Math.hypot(mid[0] - g.mid[0], mid[1] - g.mid[1]) < DRAG_PX) return;
      g.moved = true;
      e.preventDefault();
      this.zoomAt(dist / Math.max(g.dist, 1), g.mid[0], g.mid[1], g.view);
      this.panBy(mid[0] - g.mid[0], mid[1] - g.mid[1]);
      return;
    }
    if (this.scale() <= 1.01) return; // the whole map: let the page scroll
    var dx = a[0] - g.a[0], dy = a[1] - g.a[1];
    if (!g.moved && Math.hypot(dx, dy) < DRAG_PX) return;
    g.moved = true;
    e.preventDefault();
    this.view = g.view.slice();
    this.panBy(dx, dy);
  };

  window.AdmitPanZoom = PanZoom;
})();
