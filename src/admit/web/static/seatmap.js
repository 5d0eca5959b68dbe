/* Admit seat map: draws the session's plan as SVG from /api/v1/sessions/{id}/seatmap and the
   compact /availability (one character a seat), lets the visitor pick seats within the
   per-person limit (mouse, touch or keyboard), and keeps availability fresh by polling with
   an ETag. Big maps (a stadium) open on their sections; a section opens on its seats.
   No framework; the page's forms work without it. */
(function () {
  "use strict";

  var SVGNS = "http://www.w3.org/2000/svg";
  var LEVEL_CHARS = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  var OVERVIEW_ABOVE = 1200; // seats: bigger maps show sections first
  var POLL_MS = 5000;
  var TAKEN = "#c9ccd3";
  var TAP_SEAT_PX = 28;  // a seat's width when a tap on a small map zooms in to it
  var BIG_SEAT_PX = 56;  // how far a map zooms in

  function svg(name, attrs) {
    var node = document.createElementNS(SVGNS, name);
    for (var k in attrs) node.setAttribute(k, attrs[k]);
    return node;
  }

  function hull(points) {
    // Andrew's monotone chain: the outline of a section's seats.
    var p = points.slice().sort(function (a, b) { return a[0] - b[0] || a[1] - b[1]; });
    if (p.length < 3) return p;
    function cross(o, a, b) { return (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0]); }
    var lower = [], upper = [], i;
    for (i = 0; i < p.length; i++) {
      while (lower.length >= 2 && cross(lower[lower.length - 2], lower[lower.length - 1], p[i]) <= 0) lower.pop();
      lower.push(p[i]);
    }
    for (i = p.length - 1; i >= 0; i--) {
      while (upper.length >= 2 && cross(upper[upper.length - 2], upper[upper.length - 1], p[i]) <= 0) upper.pop();
      upper.push(p[i]);
    }
    upper.pop(); lower.pop();
    return lower.concat(upper);
  }

  function SeatMap(host) {
    this.host = host;
    this.cfg = JSON.parse(host.getAttribute("data-config"));
    this.form = document.getElementById("seat-form");
    this.inputs = document.getElementById("seat-inputs");
    this.list = document.getElementById("selected-list");
    this.empty = document.getElementById("selection-empty");
    this.status = document.getElementById("map-status");
    this.title = document.getElementById("map-title");
    this.back = document.getElementById("map-back");
    this.submit = document.getElementById("seat-continue");
    this.base = "/api/v1/sessions/" + this.cfg.session;
    this.selected = [];       // seat indices, in the order chosen
    this.section = null;      // the section shown, or null for the whole map / overview
    this.etag = null;
    this.drawn = [];          // seat indices drawn now
    this.mine = null;         // seat index → true: reserved for a client this buyer buys for
  }

  SeatMap.prototype.start = function () {
    var self = this;
    return Promise.all([
      fetch(this.base + "/seatmap").then(function (r) { if (!r.ok) throw new Error("map " + r.status); return r.json(); }),
      this.fetchAvailability()
    ]).then(function (res) {
      self.layout = res[0];
      self.index();
      self.preselect();
      self.overview = self.count > OVERVIEW_ABOVE && self.layout.sections.length > 1;
      if (self.overview && self.selected.length) self.showSection(self.seatSection[self.selected[0]]);
      else if (self.overview) self.showOverview();
      else self.showSeats(null);
      self.wire();
      self.renderSelection();
      window.seatmapReady = performance.now();
      self.host.setAttribute("data-ready", "1");
      self.poll();
      self.showHolding();
      self.showReserved();
    }).catch(function (err) {
      self.say("The seat map could not be loaded. You can still use Best available.");
      self.host.setAttribute("data-error", String(err));
    });
  };

  SeatMap.prototype.showHolding = function () {
    // Back on the page while holding seats: they look taken like anyone's, so say whose.
    var note = document.getElementById("holding-note");
    if (!note) return;
    fetch("/checkout/holding/" + this.cfg.session, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.status === 200 ? r.json() : null; })
      .then(function (held) {
        if (!held) return;
        var minutes = Math.max(1, Math.round(held.seconds_left / 60));
        note.textContent = "You are holding " + held.quantity + (held.quantity === 1 ? " seat" : " seats") +
          " of this session for about " + minutes + (minutes === 1 ? " more minute. " : " more minutes. ");
        var link = document.createElement("a");
        link.href = held.checkout;
        link.id = "holding-continue";
        link.textContent = "Continue to checkout";
        note.appendChild(link);
        note.hidden = false;
      }).catch(function () { /* the note is a convenience */ });
  };

  SeatMap.prototype.showReserved = function () {
    // Seats reserved for a client this buyer buys for: "r" on everyone's map, free on theirs.
    var self = this;
    fetch("/checkout/reserved/" + this.cfg.session, { credentials: "same-origin", cache: "no-store" })
      .then(function (r) { return r.status === 200 ? r.json() : null; })
      .then(function (found) {
        if (!found) return;
        self.mine = {};
        found.seats.forEach(function (key) {
          if (key in self.byKey) self.mine[self.byKey[key]] = true;
        });
        self.refresh();
      }).catch(function () { /* the public map stands */ });
  };

  SeatMap.prototype.fetchAvailability = function () {
    var self = this;
    var headers = this.etag ? { "If-None-Match": this.etag } : {};
    return fetch(this.base + "/availability", { headers: headers, cache: "no-store" }).then(function (r) {
      if (r.status === 304) return false;
      if (!r.ok) throw new Error("availability " + r.status);
      self.etag = r.headers.get("ETag");
      return r.json().then(function (a) { self.avail = a; return true; });
    });
  };

  SeatMap.prototype.index = function () {
    var s = this.layout.seats;
    this.count = s.key.length;
    this.byKey = {};
    this.seatSection = s.section;
    this.sectionSeats = this.layout.sections.map(function () { return []; });
    for (var i = 0; i < this.count; i++) {
      this.byKey[s.key[i]] = i;
      this.sectionSeats[s.section[i]].push(i);
    }
    this.tierName = {};
    var self = this;
    this.layout.levels.forEach(function (l) { self.tierName[l.code] = l.name; });
  };

  SeatMap.prototype.levelOf = function (i) {
    var ch = this.avail.levels.charAt(i), at = LEVEL_CHARS.indexOf(ch);
    return at >= 0 && at < this.avail.level_codes.length ? this.avail.level_codes[at] : null;
  };

  SeatMap.prototype.free = function (i) {
    // Free to this buyer: nobody has it, and the website has tickets of its level left (a
    // sales window may sell only a share of a level; the box office sells the rest).
    var level = this.levelOf(i), state = this.avail.states.charAt(i);
    var open = state === "a" || (state === "r" && !!this.mine && !!this.mine[i]);
    return open && level !== null && !!this.cfg.levels[level] && this.cfg.levels[level].left > 0;
  };

  SeatMap.prototype.whyNot = function (i) {
    var level = this.levelOf(i), info = level && this.cfg.levels[level];
    if (this.avail.states.charAt(i) === "a" && info && info.left <= 0) {
      return "unavailable: the website's " + info.name + " tickets are sold out";
    }
    return "unavailable";
  };

  SeatMap.prototype.chosenAt = function (level) {
    var n = 0;
    for (var j = 0; j < this.selected.length; j++) if (this.levelOf(this.selected[j]) === level) n++;
    return n;
  };

  SeatMap.prototype.seatLabel = function (i) {
    var s = this.layout.seats, sec = this.layout.sections[s.section[i]], level = this.levelOf(i);
    var info = level && this.cfg.levels[level];
    var text = sec.name + ", row " + s.row[i] + ", seat " + s.number[i];
    if (info) text += ", level " + level + ", " + info.price;
    var flag = s.flags.charAt(i);
    if (flag === "a" || flag === "b") text += ", wheelchair accessible";
    if (flag === "o" || flag === "b") text += ", restricted view";
    if (!this.free(i)) text += ", " + this.whyNot(i);
    return text;
  };

  SeatMap.prototype.seatColour = function (i) {
    var level = this.levelOf(i);
    return this.free(i) && level ? this.cfg.levels[level].color : TAKEN;
  };

  // ---- drawing -------------------------------------------------------------------------

  SeatMap.prototype.canvas = function (minX, minY, maxX, maxY, pad, label) {
    if (this.pz) { this.pz.destroy(); this.pz = null; }
    while (this.host.firstChild) this.host.removeChild(this.host.firstChild);
    var w = Math.max(maxX - minX, 1) + 2 * pad, h = Math.max(maxY - minY, 1) + 2 * pad;
    var root = svg("svg", {
      "class": "seatmap",
      viewBox: [minX - pad, minY - pad, w, h].join(" "),
      preserveAspectRatio: "xMidYMid meet",
      role: "group",
      "aria-label": label
    });
    this.host.appendChild(root);
    this.svg = root;
    return root;
  };

  SeatMap.prototype.sectionStats = function (k) {
    var seats = this.sectionSeats[k], free = 0, levels = {}, top = null;
    for (var j = 0; j < seats.length; j++) {
      var i = seats[j];
      if (this.free(i)) free++;
      var lv = this.levelOf(i);
      if (lv) { levels[lv] = (levels[lv] || 0) + 1; if (!top || levels[lv] > levels[top]) top = lv; }
    }
    return { free: free, total: seats.length, level: top };
  };

  SeatMap.prototype.showOverview = function () {
    var s = this.layout.seats, self = this;
    this.section = null;
    this.drawn = [];
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    for (var i = 0; i < this.count; i++) {
      if (s.x[i] < minX) minX = s.x[i]; if (s.x[i] > maxX) maxX = s.x[i];
      if (s.y[i] < minY) minY = s.y[i]; if (s.y[i] > maxY) maxY = s.y[i];
    }
    var root = this.canvas(minX, minY, maxX, maxY, 4, "Sections of the venue. Choose a section to see its seats.");
    var font = Math.max((maxX - minX) / 32, 0.5);
    if (this.cfg.pitch) this.drawPitch(root, minX, minY, maxX, maxY, font);
    var first = true;
    this.sectionNodes = [];
    this.layout.sections.forEach(function (sec, k) {
      var seats = self.sectionSeats[k];
      if (!seats.length) { self.sectionNodes.push(null); return; }
      var pts = seats.map(function (i) { return [s.x[i], s.y[i]]; });
      var outline = hull(pts), cx = 0, cy = 0;
      pts.forEach(function (p) { cx += p[0]; cy += p[1]; });
      cx /= pts.length; cy /= pts.length;
      var g = svg("g", { "class": "section", tabindex: first ? "0" : "-1", role: "button", "data-section": String(k) });
      first = false;
      var shape = svg("polygon", { points: outline.map(function (p) { return p.join(","); }).join(" "), stroke: "#fff", "stroke-width": font / 6 });
      var text = svg("text", { x: cx, y: cy, "text-anchor": "middle", "dominant-baseline": "central", "class": "section-label", "font-size": font, "stroke-width": font / 8 });
      text.textContent = sec.code;
      g.appendChild(shape); g.appendChild(text);
      root.appendChild(g);
      self.sectionNodes.push(g);
    });
    this.paintSections();
    this.title.textContent = "Choose a section";
    this.back.hidden = true;
    this.zoomable(6);
  };

  SeatMap.prototype.drawPitch = function (root, minX, minY, maxX, maxY, font) {
    // The field in the middle of the stands, so a buyer sees where the play is.
    var w = (maxX - minX) * 0.4, h = (maxY - minY) * 0.34;
    var cx = (minX + maxX) / 2, cy = (minY + maxY) / 2;
    root.appendChild(svg("rect", { x: cx - w / 2, y: cy - h / 2, width: w, height: h, rx: font, "class": "pitch", "aria-hidden": "true" }));
    var t = svg("text", { x: cx, y: cy, "text-anchor": "middle", "dominant-baseline": "central", "font-size": font * 1.2, "class": "stage-label", "aria-hidden": "true" });
    t.textContent = this.cfg.pitch;
    root.appendChild(t);
  };

  SeatMap.prototype.zoomable = function (maxScale) {
    if (window.AdmitPanZoom && this.svg) this.pz = new window.AdmitPanZoom(this.svg, maxScale);
  };

  // On screen, how wide a seat is now (px).
  SeatMap.prototype.seatPixels = function () {
    return this.pz ? 2 * this.seatRadius * this.pz.pixelsPerUnit() : 0;
  };

  SeatMap.prototype.paintSections = function () {
    var self = this;
    (this.sectionNodes || []).forEach(function (g, k) {
      if (!g) return;
      var st = self.sectionStats(k), sec = self.layout.sections[k];
      var info = st.level && self.cfg.levels[st.level];
      var shape = g.firstChild;
      shape.setAttribute("fill", st.free && info ? info.color : TAKEN);
      shape.setAttribute("fill-opacity", st.free ? String(0.45 + 0.55 * st.free / st.total) : "1");
      var words = sec.name + ", " + (self.tierName[sec.level] || sec.level) +
        (info ? ", level " + st.level + ", " + info.price : "") +
        ", " + st.free + " of " + st.total + " seats free";
      g.setAttribute("aria-label", words);
      g.setAttribute("data-free", String(st.free));
      var tip = g.querySelector("title") || g.appendChild(svg("title", {}));
      tip.textContent = words;
    });
  };

  SeatMap.prototype.spacing = function (seats) {
    var s = this.layout.seats, sample = seats.slice(0, 40), d = [];
    sample.forEach(function (i) {
      var best = Infinity;
      for (var j = 0; j < seats.length; j++) {
        var o = seats[j];
        if (o === i) continue;
        var dx = s.x[o] - s.x[i], dy = s.y[o] - s.y[i], dd = dx * dx + dy * dy;
        if (dd > 0 && dd < best) best = dd;
      }
      if (best < Infinity) d.push(Math.sqrt(best));
    });
    d.sort(function (a, b) { return a - b; });
    return d.length ? d[Math.floor(d.length / 2)] : 1;
  };

  SeatMap.prototype.showSection = function (k) {
    this.showSeats(k);
  };

  SeatMap.prototype.showSeats = function (k) {
    var s = this.layout.seats, self = this;
    var seats = k === null ? Array.from({ length: this.count }, function (_, i) { return i; }) : this.sectionSeats[k];
    this.section = k;
    this.drawn = seats;
    var minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    seats.forEach(function (i) {
      if (s.x[i] < minX) minX = s.x[i]; if (s.x[i] > maxX) maxX = s.x[i];
      if (s.y[i] < minY) minY = s.y[i]; if (s.y[i] > maxY) maxY = s.y[i];
    });
    var gap = this.spacing(seats), r = gap * 0.42;
    var name = k === null ? (this.layout.sections.length === 1 ? this.layout.sections[0].name : this.layout.name) : this.layout.sections[k].name;
    var stage = k === null && this.cfg.stage ? 2.5 * gap : 0;
    var root = this.canvas(minX - gap, minY - stage, maxX + gap, maxY, gap, "Seats of " + name + ". Use the arrow keys to move and Enter to choose.");
    if (stage) this.drawStage(root, minX, maxX, minY - stage, gap);
    this.drawRowLabels(root, seats, gap);
    this.seatNodes = {};
    var frag = document.createDocumentFragment(), focusable = null;
    seats.forEach(function (i) {
      var c = svg("circle", { cx: s.x[i], cy: s.y[i], r: r, "class": "seat", role: "button", tabindex: "-1", "data-i": String(i), "data-key": s.key[i] });
      frag.appendChild(c);
      self.seatNodes[i] = c;
      if (focusable === null && self.free(i)) focusable = i;
    });
    root.appendChild(frag);
    if (focusable === null && seats.length) focusable = seats[0];
    if (focusable !== null) this.seatNodes[focusable].setAttribute("tabindex", "0");
    this.paintSeats();
    this.title.textContent = name;
    this.back.hidden = !this.overview;
    this.seatRadius = r;
    this.zoomable(1);
    if (this.pz) this.pz.maxScale = Math.max(1, BIG_SEAT_PX / Math.max(this.seatPixels(), 1));
  };

  SeatMap.prototype.drawStage = function (root, minX, maxX, y, gap) {
    root.appendChild(svg("rect", { x: minX, y: y - gap * 0.4, width: maxX - minX, height: gap * 0.8, rx: gap * 0.3, "class": "stage", "aria-hidden": "true" }));
    var t = svg("text", { x: (minX + maxX) / 2, y: y, "text-anchor": "middle", "dominant-baseline": "central", "font-size": gap * 0.55, "class": "stage-label", "aria-hidden": "true" });
    t.textContent = this.cfg.stage;
    root.appendChild(t);
  };

  SeatMap.prototype.drawRowLabels = function (root, seats, gap) {
    // Beside each row's first seat, on the side away from the second one.
    var s = this.layout.seats, rows = {}, order = [];
    seats.forEach(function (i) {
      var id = s.section[i] + "|" + s.row[i];
      if (!rows[id]) { rows[id] = []; order.push(id); }
      rows[id].push(i);
    });
    order.forEach(function (id) {
      var r = rows[id], a = r[0], b = r.length > 1 ? r[1] : null;
      var dx = b === null ? -1 : s.x[a] - s.x[b], dy = b === null ? 0 : s.y[a] - s.y[b];
      var len = Math.sqrt(dx * dx + dy * dy) || 1;
      var t = svg("text", { x: s.x[a] + dx / len * gap, y: s.y[a] + dy / len * gap, "text-anchor": "middle", "dominant-baseline": "central", "font-size": gap * 0.5, "class": "row-label", "aria-hidden": "true" });
      t.textContent = s.row[a];
      root.appendChild(t);
    });
  };

  SeatMap.prototype.paintSeats = function () {
    for (var n = 0; n < this.drawn.length; n++) {
      var i = this.drawn[n], c = this.seatNodes[i];
      var chosen = this.selected.indexOf(i) >= 0, free = this.free(i);
      c.setAttribute("fill", chosen ? "#111827" : this.seatColour(i));
      c.setAttribute("class", "seat" + (free ? "" : " taken") + (chosen ? " selected" : ""));
      c.setAttribute("aria-pressed", chosen ? "true" : "false");
      c.setAttribute("aria-disabled", free || chosen ? "false" : "true");
      c.setAttribute("aria-label", this.seatLabel(i) + (chosen ? ", chosen" : ""));
    }
  };

  // ---- choosing -------------------------------------------------------------------------

  SeatMap.prototype.toggle = function (i) {
    var at = this.selected.indexOf(i);
    if (at >= 0) {
      this.selected.splice(at, 1);
      this.say("Removed " + this.seatLabel(i) + ".");
    } else if (!this.free(i)) {
      this.say("That seat is " + this.whyNot(i) + ".");
      return;
    } else if (this.chosenAt(this.levelOf(i)) >= this.cfg.levels[this.levelOf(i)].left) {
      var info = this.cfg.levels[this.levelOf(i)];
      this.say("The website has only " + info.left + " " + info.name + " ticket" +
        (info.left === 1 ? "" : "s") + " left.");
      return;
    } else if (this.selected.length >= this.cfg.limit) {
      this.say("You can choose up to " + this.cfg.limit + " seats.");
      return;
    } else {
      this.selected.push(i);
      this.say("Chose " + this.seatLabel(i) + ". " + this.selected.length + " of up to " + this.cfg.limit + ".");
    }
    this.paintSeats();
    this.renderSelection();
  };

  SeatMap.prototype.preselect = function () {
    var self = this, lost = 0;
    (this.cfg.selected || []).forEach(function (key) {
      var i = self.byKey[key];
      if (i === undefined || !self.free(i)) { lost++; return; }
      var level = self.levelOf(i);
      if (self.chosenAt(level) >= self.cfg.levels[level].left) { lost++; return; }
      if (self.selected.length < self.cfg.limit && self.selected.indexOf(i) < 0) self.selected.push(i);
    });
    if (lost) this.say("Some seats you chose before are no longer available.");
  };

  SeatMap.prototype.renderSelection = function () {
    var self = this, s = this.layout.seats;
    while (this.inputs.firstChild) this.inputs.removeChild(this.inputs.firstChild);
    while (this.list.firstChild) this.list.removeChild(this.list.firstChild);
    this.selected.forEach(function (i) {
      var input = document.createElement("input");
      input.type = "hidden"; input.name = "seat"; input.value = s.key[i];
      self.inputs.appendChild(input);
      var li = document.createElement("li");
      li.textContent = self.seatLabel(i).replace(", " + self.whyNot(i), "") + " ";
      var drop = document.createElement("button");
      drop.type = "button"; drop.className = "link-button"; drop.textContent = "Remove";
      drop.setAttribute("aria-label", "Remove " + s.key[i]);
      drop.addEventListener("click", function () { self.toggle(i); });
      li.appendChild(drop);
      self.list.appendChild(li);
    });
    this.empty.hidden = this.selected.length > 0;
    this.submit.disabled = this.selected.length === 0;
    this.renderBar();
  };

  SeatMap.prototype.renderBar = function () {
    // The sticky bar: how many seats, from what total, and the button.
    var count = document.getElementById("bar-count"), total = document.getElementById("bar-total");
    if (!count || !total) return;
    var n = this.selected.length, sum = 0, currency = "", self = this;
    this.selected.forEach(function (i) {
      var info = self.cfg.levels[self.levelOf(i)];
      if (info && info.amount) { sum += info.amount; currency = info.currency; }
    });
    count.textContent = n ? n + (n === 1 ? " seat" : " seats") : "No seats yet";
    total.textContent = n && currency ? "from " + (sum / 100).toFixed(2) + " " + currency : "";
  };

  SeatMap.prototype.say = function (text) {
    this.status.textContent = text;
  };

  // ---- keyboard and pointer ---------------------------------------------------------------

  SeatMap.prototype.neighbour = function (from, dx, dy, nodes) {
    // The nearest drawn item in the arrow's direction, favouring items straight ahead.
    var best = null, bestScore = Infinity, a = this.pos(from);
    for (var n = 0; n < nodes.length; n++) {
      if (nodes[n] === from) continue;
      var b = this.pos(nodes[n]), vx = b[0] - a[0], vy = b[1] - a[1];
      var ahead = vx * dx + vy * dy;
      if (ahead <= 1e-9) continue;
      var side = Math.abs(vx * dy - vy * dx);
      var score = ahead + 2.5 * side;
      if (score < bestScore) { bestScore = score; best = nodes[n]; }
    }
    return best;
  };

  SeatMap.prototype.pos = function (node) {
    var k = node.getAttribute("data-section");
    if (k !== null) {
      var bb = node.getBBox();
      return [bb.x + bb.width / 2, bb.y + bb.height / 2];
    }
    var i = +node.getAttribute("data-i");
    return [this.layout.seats.x[i], this.layout.seats.y[i]];
  };

  SeatMap.prototype.moveFocus = function (from, to) {
    if (!to) return;
    from.setAttribute("tabindex", "-1");
    to.setAttribute("tabindex", "0");
    this.reveal(to);
    to.focus();
  };

  SeatMap.prototype.activate = function (node) {
    var k = node.getAttribute("data-section");
    if (k !== null) {
      this.showSection(+k);
      var first = this.svg.querySelector('[tabindex="0"]');
      if (first) first.focus();
      return;
    }
    var i = node.getAttribute("data-i");
    if (i === null) return;
    if (this.pz && this.pz.lastPointerType === "touch" && this.seatPixels() < TAP_SEAT_PX - 4) {
      // Too small for a thumb: the first tap zooms in there, the next one chooses.
      this.pz.centreOn(this.layout.seats.x[+i], this.layout.seats.y[+i],
        this.pz.scale() * TAP_SEAT_PX / Math.max(this.seatPixels(), 1));
      this.say("Zoomed in. Tap a seat to choose it; pinch or drag to move around.");
      return;
    }
    this.toggle(+i);
  };

  SeatMap.prototype.reveal = function (node) {
    // Keyboard focus on a seat outside the zoomed view brings it into view.
    var i = node.getAttribute("data-i");
    if (!this.pz || i === null || this.pz.scale() <= 1.01) return;
    var x = this.layout.seats.x[+i], y = this.layout.seats.y[+i], v = this.pz.view;
    if (x < v[0] || x > v[0] + v[2] || y < v[1] || y > v[1] + v[3]) this.pz.centreOn(x, y);
  };

  SeatMap.prototype.wire = function () {
    var self = this;
    var arrows = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    this.host.addEventListener("click", function (e) {
      var node = e.target.closest ? e.target.closest("[data-i],[data-section]") : null;
      if (node) { self.activate(node); }
    });
    this.host.addEventListener("keydown", function (e) {
      var node = e.target.closest ? e.target.closest("[data-i],[data-section]") : null;
      if (!node) return;
      if (e.key === "Enter" || e.key === " ") {
        e.preventDefault();
        self.activate(node);
      } else if (arrows[e.key]) {
        e.preventDefault();
        var nodes = Array.prototype.slice.call(self.svg.querySelectorAll("[data-i],[data-section]"));
        self.moveFocus(node, self.neighbour(node, arrows[e.key][0], arrows[e.key][1], nodes));
      } else if (e.key === "Escape" && self.overview && self.section !== null) {
        self.backToOverview();
      }
    });
    this.back.addEventListener("click", function () { self.backToOverview(); });
    [["zoom-in", 1.6], ["zoom-out", 1 / 1.6], ["zoom-fit", 0]].forEach(function (b) {
      var button = document.getElementById(b[0]);
      if (!button) return;
      button.hidden = false;
      button.addEventListener("click", function () {
        if (!self.pz) return;
        if (b[1]) self.pz.zoomCentre(b[1]); else self.pz.reset();
      });
    });
    this.form.addEventListener("submit", function (e) {
      if (!self.selected.length) { e.preventDefault(); self.say("Choose at least one seat first."); }
    });
  };

  SeatMap.prototype.backToOverview = function () {
    var k = this.section;
    this.showOverview();
    var node = k !== null && this.sectionNodes[k];
    if (node) this.moveFocus(this.svg.querySelector('[tabindex="0"]'), node);
  };

  // ---- keeping fresh ------------------------------------------------------------------------

  SeatMap.prototype.poll = function () {
    var self = this;
    window.setTimeout(function tick() {
      if (document.hidden) { window.setTimeout(tick, POLL_MS); return; }
      self.fetchAvailability().then(function (changed) {
        return changed ? self.fetchShares().then(function () { self.refresh(); }) : null;
      }).catch(function () { /* try again at the next tick */ }).then(function () {
        window.setTimeout(tick, POLL_MS);
      });
    }, POLL_MS);
  };

  SeatMap.prototype.fetchShares = function () {
    // What the website may still sell at each level (``/sale``), after seats changed hands.
    var self = this;
    return fetch(this.base + "/sale", { cache: "no-store" }).then(function (r) {
      return r.ok ? r.json() : [];
    }).then(function (windows) {
      var mine = windows.filter(function (w) { return w.channel === self.cfg.channel; })[0];
      if (!mine) return;
      Object.keys(self.cfg.levels).forEach(function (code) {
        self.cfg.levels[code].left = mine.left[code] || 0;
      });
      self.showShares(mine.remaining);
    }).catch(function () { /* the counts wait for the next change */ });
  };

  SeatMap.prototype.showShares = function (remaining) {
    // The page's counts — the header and the price table's "Left" — follow the map's.
    var self = this, each = function (selector, fn) {
      Array.prototype.forEach.call(document.querySelectorAll(selector), fn);
    };
    each("[data-remaining]", function (node) { node.textContent = remaining.toLocaleString("en"); });
    each("[data-left-level]", function (cell) {
      var info = self.cfg.levels[cell.getAttribute("data-left-level")];
      if (info) cell.textContent = info.left.toLocaleString("en");
    });
    each("[data-sold-out-level]", function (note) {
      var info = self.cfg.levels[note.getAttribute("data-sold-out-level")];
      if (info) note.hidden = info.left > 0;
    });
  };

  SeatMap.prototype.refresh = function () {
    var self = this, gone = [], counted = {};
    this.selected = this.selected.filter(function (i) {
      var level = self.levelOf(i);
      counted[level] = (counted[level] || 0) + 1;
      if (self.free(i) && counted[level] <= self.cfg.levels[level].left) return true;
      gone.push(i);
      return false;
    });
    if (this.section === null && this.overview) this.paintSections();
    else this.paintSeats();
    if (gone.length) {
      this.renderSelection();
      this.say("Sorry, " + gone.map(function (i) { return self.seatLabel(i).replace(", " + self.whyNot(i), ""); }).join("; ") +
        (gone.length === 1 ? " was" : " were") + " just taken.");
    }
    this.host.setAttribute("data-version", this.etag || "");
  };

  var host = document.getElementById("seatmap");
  if (host && window.fetch) {
    var map = new SeatMap(host);
    window.admitSeatMap = map;
    map.start();
  }
})();
