// Camera scanning of QR labels, in the browser and offline: the native BarcodeDetector when
// the browser has one, else the vendored jsQR. A decoded code opens /scanner?code=..., where
// the server checks it and lists what this person may do with the device. Without a camera
// (or over plain HTTP, where browsers refuse it) the typed field still works.
(function () {
  "use strict";
  var box = document.querySelector("[data-scanner]");
  if (!box) { return; }
  var startButton = box.querySelector("[data-scan-start]");
  var unavailable = box.querySelector("[data-scan-unavailable]");
  var videoBox = box.querySelector(".scan-video");
  var video = videoBox.querySelector("video");
  var status = box.querySelector("[data-scan-status]");
  var canvas = document.createElement("canvas");
  var context = canvas.getContext("2d", { willReadFrequently: true });
  var detector = null;
  var stream = null;

  if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
    unavailable.hidden = false;
    return;
  }
  if ("BarcodeDetector" in window) {
    try { detector = new window.BarcodeDetector({ formats: ["qr_code"] }); } catch (error) { detector = null; }
  }
  startButton.hidden = false;

  function found(text) {
    stream.getTracks().forEach(function (track) { track.stop(); });
    status.textContent = "QR code lu : ouverture…";
    window.location.assign(box.dataset.target + "?code=" + encodeURIComponent(text));
  }

  function decodeWithJsQR() {
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    context.drawImage(video, 0, 0, canvas.width, canvas.height);
    var image = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = window.jsQR(image.data, image.width, image.height, { inversionAttempts: "dontInvert" });
    return Promise.resolve(code ? code.data : null);
  }

  function decodeWithDetector() {
    return detector.detect(video).then(function (codes) { return codes.length ? codes[0].rawValue : null; });
  }

  function tick() {
    if (video.readyState < video.HAVE_ENOUGH_DATA) { window.requestAnimationFrame(tick); return; }
    (detector ? decodeWithDetector() : decodeWithJsQR())
      .then(function (text) { if (text) { found(text); } else { window.setTimeout(tick, 150); } })
      .catch(function () { detector = null; window.setTimeout(tick, 150); });
  }

  startButton.addEventListener("click", function () {
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (mediaStream) {
        stream = mediaStream;
        video.srcObject = stream;
        videoBox.hidden = false;
        startButton.hidden = true;
        return video.play();
      })
      .then(tick)
      .catch(function () {
        unavailable.hidden = false;
        startButton.hidden = true;
      });
  });
})();
