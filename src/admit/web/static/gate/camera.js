/* Reading a ticket's QR code with the camera or from a photo. Not every engine can: the
   decoder is detected, not assumed — the engine's own BarcodeDetector where it reads QR codes
   (Chromium on Android, macOS and ChromeOS), else jsQR (vendor/, Apache-2.0), loaded the first
   time it is needed and kept offline by the service worker (Firefox, Safari, Chromium on Linux
   and Windows). The camera needs getUserMedia; a photo (on a phone the file picker offers the
   camera) works everywhere. Each code read goes to the scanner's check(). */
"use strict";

const GateCamera = (() => {
  const JSQR = "/static/gate/vendor/jsQR.js";
  const LARGEST = 1280;  // photos are scaled down to this many pixels on their long side
  const $ = (id) => document.getElementById(id);
  let chosen = null;

  async function nativeDetector() {
    if (!("BarcodeDetector" in window)) return null;
    try {
      const formats = await BarcodeDetector.getSupportedFormats();
      return formats.includes("qr_code") ? new BarcodeDetector({ formats: ["qr_code"] }) : null;
    } catch (e) {
      return null;
    }
  }

  function loadScript(src) {
    return new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = () => reject(new Error("the QR reader could not be loaded: reconnect once"));
      document.head.appendChild(script);
    });
  }

  function jsqrReader() {
    const canvas = document.createElement("canvas");
    const context = canvas.getContext("2d", { willReadFrequently: true });
    return async (source, thorough) => {
      const width = source.videoWidth || source.width;
      const height = source.videoHeight || source.height;
      if (!width || !height) return null;
      const scale = Math.min(1, LARGEST / Math.max(width, height));
      canvas.width = Math.round(width * scale);
      canvas.height = Math.round(height * scale);
      context.drawImage(source, 0, 0, canvas.width, canvas.height);
      const image = context.getImageData(0, 0, canvas.width, canvas.height);
      const found = window.jsQR(image.data, image.width, image.height, {
        inversionAttempts: thorough ? "attemptBoth" : "dontInvert",
      });
      return found ? found.data : null;
    };
  }

  /* The decoder, chosen once: {name, read(source, thorough) → text or null}. */
  function decoder() {
    if (!chosen) {
      chosen = (async () => {
        const native = await nativeDetector();
        if (native) {
          return {
            name: "BarcodeDetector",
            read: async (source) => {
              const codes = await native.detect(source);
              return codes.length ? codes[0].rawValue : null;
            },
          };
        }
        if (!window.jsQR) await loadScript(JSQR);
        return { name: "jsQR", read: jsqrReader() };
      })();
      chosen.catch(() => { chosen = null; });  // offline before it was kept: try again later
    }
    return chosen;
  }

  function say(text, name) {
    const note = $("camera-note");
    note.textContent = text;
    if (name) note.dataset.decoder = name;
  }

  async function readPhoto(file, check) {
    say("Reading the photo…");
    try {
      const found = await decoder();
      const picture = await createImageBitmap(file);
      const text = await found.read(picture, true);
      picture.close();
      if (text) {
        say(`Read with ${found.name}.`, found.name);
        await check(text);
      } else {
        say("No QR code found in the photo: hold the ticket flat and fill the frame.", found.name);
      }
    } catch (e) {
      say(`Photo: ${e.message}`);
    }
  }

  async function startCamera(check) {
    const found = await decoder();
    const video = $("video");
    video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } });
    video.hidden = false;
    await video.play();
    say(`Camera on (${found.name}).`, found.name);
    let last = "";
    const tick = async () => {
      if (video.hidden) return;
      const text = await found.read(video, false).catch(() => null);
      if (text && text !== last) {
        last = text;
        await check(text);
        setTimeout(() => { last = ""; }, 2000);
      }
      setTimeout(tick, 250);
    };
    tick();
  }

  function wire(check) {
    const photo = $("photo");
    photo.addEventListener("change", async () => {
      if (photo.files.length) await readPhoto(photo.files[0], check);
      photo.value = "";
    });
    if (navigator.mediaDevices && navigator.mediaDevices.getUserMedia) {
      $("camera").hidden = false;
      $("camera").addEventListener("click", () => startCamera(check).catch((e) => say(`Camera: ${e.message}`)));
    } else {
      say("This browser cannot use the camera here: read a photo of the ticket, scan into the box, or type or paste the code.");
    }
  }

  return { wire, decoder };
})();
