// Chunked, resumable upload of a sale's recording (dual recording, 双录), for Reflex (components/recording_upload.py).
// Talks to our own routes (fincrm_app/api/recordings.py) with the page's session cookie: start (or resume) ->
// chunks sent at exactly the offset the server has -> finish. A failed chunk is retried from the server's
// offset; the server checks the type from the bytes and the size limit, and computes the SHA-256.
import React, { useRef, useState } from "react";

const CHUNK = 4 * 1024 * 1024;

async function json(response) {
  let body = {};
  try { body = await response.json(); } catch (e) { body = {}; }
  if (!response.ok) { const err = new Error(body.message || response.statusText); err.body = body; err.status = response.status; throw err; }
  return body;
}

export function FincrmRecordingUpload({ saleId, maxBytes, labels, onDone, id }) {
  const input = useRef(null);
  const [state, setState] = useState({ busy: false, sent: 0, total: 0, message: "", error: "" });
  const L = labels || {};

  const upload = async () => {
    const file = input.current && input.current.files && input.current.files[0];
    if (!file) { setState({ ...state, error: L.choose || "Choose a file" }); return; }
    if (maxBytes && file.size > maxBytes) { setState({ ...state, error: L.too_large || "Too large" }); return; }
    setState({ busy: true, sent: 0, total: file.size, message: L.uploading || "", error: "" });
    try {
      const started = await json(await fetch("/recordings/uploads", {
        method: "POST", credentials: "same-origin", headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ sale_id: Number(saleId), filename: file.name, size: file.size }) }));
      let offset = started.received || 0;
      let failures = 0;
      while (offset < file.size) {
        const chunk = file.slice(offset, Math.min(offset + CHUNK, file.size));
        try {
          const r = await json(await fetch(`/recordings/${started.id}/chunk?offset=${offset}`, {
            method: "PUT", credentials: "same-origin", headers: { "Content-Type": "application/octet-stream" },
            body: chunk }));
          offset = r.received;
          failures = 0;
        } catch (e) {
          if (e.status === 409 && e.body && typeof e.body.expected === "number") { offset = e.body.expected; continue; }
          if (e.status && e.status < 500 && e.status !== 409) throw e;
          failures += 1;
          if (failures > 5) throw e;
          const now = await json(await fetch(`/recordings/${started.id}`, { credentials: "same-origin" }));
          offset = now.received;  // resume where the server stopped
        }
        setState((s) => ({ ...s, sent: offset }));
      }
      await json(await fetch(`/recordings/${started.id}/finish`, { method: "POST", credentials: "same-origin" }));
      setState({ busy: false, sent: file.size, total: file.size, message: L.done || "", error: "" });
      if (input.current) input.current.value = "";
      if (onDone) onDone();
    } catch (e) {
      setState((s) => ({ ...s, busy: false, error: e.message || String(e) }));
    }
  };

  const pct = state.total ? Math.floor((100 * state.sent) / state.total) : 0;
  return (
    <div className="rec-upload" id={id}>
      <input ref={input} type="file" accept="audio/*,video/*" className="field-input" id={id ? id + "-file" : undefined}
             aria-label={L.choose || "file"} disabled={state.busy} />
      <button type="button" className="btn-primary" onClick={upload} disabled={state.busy}
              id={id ? id + "-start" : undefined}>{L.upload || "Upload"}</button>
      {state.total > 0 && (
        <div className="rec-progress" role="progressbar" aria-valuenow={pct} aria-valuemin={0} aria-valuemax={100}>
          <div className="rec-progress-fill" style={{ width: pct + "%" }}></div>
        </div>)}
      {state.total > 0 && <span className="small muted" id={id ? id + "-status" : undefined}>{pct}% {state.message}</span>}
      {state.error && <div className="alert" role="alert" id={id ? id + "-error" : undefined}>{state.error}</div>}
    </div>
  );
}
