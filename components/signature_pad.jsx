// A finger signature on a canvas: npm signature_pad (https://github.com/szimek/signature_pad), wrapped as a
// React component for Reflex (components/signature_pad.py). After every stroke it reports the whole signature
// so far: the stroke data (toData(): points with x, y, time, pressure) and the image (a PNG data URL).
// Nothing here is inline script or eval: it is bundled with the app and served from our origin (strict CSP).
import React, { useEffect, useRef } from "react";
import SignaturePad from "signature_pad";

export function FincrmSignaturePad({ onSigned, onCleared, clearLabel, ariaLabel, id, className }) {
  const canvasRef = useRef(null);
  const padRef = useRef(null);
  const signedRef = useRef(onSigned);
  const clearedRef = useRef(onCleared);
  signedRef.current = onSigned;
  clearedRef.current = onCleared;

  useEffect(() => {
    const canvas = canvasRef.current;
    const pad = new SignaturePad(canvas, { penColor: "#111827", backgroundColor: "rgb(255, 255, 255)",
                                           minWidth: 0.8, maxWidth: 2.6 });
    padRef.current = pad;
    // Sharp on high-density screens: the canvas is drawn at the device's pixel ratio; a resize keeps the strokes.
    const resize = () => {
      const ratio = Math.max(window.devicePixelRatio || 1, 1);
      const strokes = pad.toData();
      canvas.width = canvas.offsetWidth * ratio;
      canvas.height = canvas.offsetHeight * ratio;
      canvas.getContext("2d").scale(ratio, ratio);
      pad.clear();
      if (strokes.length) pad.fromData(strokes);
    };
    resize();
    window.addEventListener("resize", resize);
    const ended = () => {
      if (signedRef.current) signedRef.current({ strokes: pad.toData(), image: pad.toDataURL("image/png") });
    };
    pad.addEventListener("endStroke", ended);
    return () => {
      pad.removeEventListener("endStroke", ended);
      window.removeEventListener("resize", resize);
      pad.off();
    };
  }, []);

  const clear = () => {
    if (padRef.current) padRef.current.clear();
    if (clearedRef.current) clearedRef.current();
  };

  return (
    <div className={"sigpad " + (className || "")}>
      <canvas ref={canvasRef} id={id} className="sigpad-canvas" role="img" aria-label={ariaLabel}></canvas>
      <button type="button" className="btn-secondary sigpad-clear" onClick={clear} id={id ? id + "-clear" : undefined}>
        {clearLabel}
      </button>
    </div>
  );
}
