// A chart as an image file: a button that asks Plotly itself (Plotly.downloadImage) for the chart drawn in the
// element `target` (a chart card's id) as PNG or SVG, and saves it. Plotly is imported on click, as the same module
// the chart already loaded (plotly.js-basic-dist-min): pages without charts never load it, and a chart page loads
// it once. Bundled with the app (no inline script: the strict CSP holds).
import React, { useState } from "react";

export function FincrmChartImage({ target, format, filename, label, title, id, className }) {
  const [busy, setBusy] = useState(false);
  const save = async () => {
    const gd = document.querySelector(`#${target} .js-plotly-plot`);
    if (!gd || busy) return;
    setBusy(true);
    try {
      const mod = await import("plotly.js-basic-dist-min");
      const Plotly = mod.default || mod;
      const box = gd.getBoundingClientRect();
      await Plotly.downloadImage(gd, {
        format, filename, width: Math.max(320, Math.round(box.width)), height: Math.max(240, Math.round(box.height)),
        scale: format === "png" ? 2 : 1,
      });
    } finally {
      setBusy(false);
    }
  };
  return (
    <button type="button" id={id} className={className} onClick={save} title={title} aria-label={title}
            aria-busy={busy ? "true" : "false"} data-format={format}>
      {label}
    </button>
  );
}
