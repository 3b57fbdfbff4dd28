// The DMN decision table editor: npm dmn-js (https://bpmn.io), wrapped as a React component for Reflex
// (components/dmn_modeler.py). It loads `xml` (one DMN document) whenever that prop changes, opens its decision
// table, and reports the edited document as DMN XML a moment after each change; nothing is saved here: the
// services validate the whole definition and save it as a new version. Bundled with the app (strict CSP).
import React, { useEffect, useRef, useState } from "react";
import "dmn-js/dist/assets/dmn-js-shared.css";
import "dmn-js/dist/assets/dmn-js-drd.css";
import "dmn-js/dist/assets/dmn-js-decision-table.css";
import "dmn-js/dist/assets/dmn-js-decision-table-controls.css";
import "dmn-js/dist/assets/dmn-js-literal-expression.css";
import "dmn-js/dist/assets/dmn-font/css/dmn-embedded.css";

export function FincrmDmnModeler({ xml, onChanged, onFailed, id, className, ariaLabel }) {
  const containerRef = useRef(null);
  const modelerRef = useRef(null);
  const changedRef = useRef(onChanged);
  const failedRef = useRef(onFailed);
  const [ready, setReady] = useState(false);
  changedRef.current = onChanged;
  failedRef.current = onFailed;

  // dmn-js is loaded in the browser only (it touches the DOM when imported, which the server-side prerender has not).
  useEffect(() => {
    let modeler = null;
    let timer = null;
    let cancelled = false;
    const report = () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        try {
          const { xml: out } = await modeler.saveXML({ format: true });
          if (changedRef.current) changedRef.current(out);
        } catch (err) {
          if (failedRef.current) failedRef.current(String((err && err.message) || err));
        }
      }, 400);
    };
    import("dmn-js/lib/Modeler")
      .then(({ default: DmnModeler }) => {
        if (cancelled) return;
        modeler = new DmnModeler({ container: containerRef.current });
        modelerRef.current = modeler;
        // Each view (the decision table, the DRD) has its own event bus: listen to whichever is open.
        modeler.on("views.changed", () => {
          const viewer = modeler.getActiveViewer();
          if (viewer && !viewer.__fincrmListening) {
            viewer.__fincrmListening = true;
            viewer.on("elements.changed", report);
          }
        });
        setReady(true);
      })
      .catch((err) => failedRef.current && failedRef.current(String((err && err.message) || err)));
    return () => {
      cancelled = true;
      clearTimeout(timer);
      if (modeler) modeler.destroy();
      modelerRef.current = null;
    };
  }, []);

  useEffect(() => {
    const modeler = modelerRef.current;
    if (!modeler || !xml) return;
    modeler
      .importXML(xml)
      .then(() => {
        const table = modeler.getViews().find((v) => v.type === "decisionTable");
        if (table) return modeler.open(table);
        return null;
      })
      .catch((err) => failedRef.current && failedRef.current(String((err && err.message) || err)));
  }, [xml, ready]);

  return <div id={id} className={className} ref={containerRef} role="application" aria-label={ariaLabel} />;
}
