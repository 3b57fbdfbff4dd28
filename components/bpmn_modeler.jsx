// The BPMN 2.0 modeler: npm bpmn-js (https://bpmn.io), wrapped as a React component for Reflex
// (components/bpmn_modeler.py). Drag and drop on a canvas, Camunda's extension attributes kept (camunda-bpmn-moddle:
// candidate groups, assignee, decision references, properties). It loads `xml` whenever that prop changes and
// reports the edited diagram as BPMN XML a moment after each change; nothing is saved here: the services validate
// a draft and save it as a new version. Bundled with the app (no inline script, strict CSP).
import React, { useEffect, useRef } from "react";
import Modeler from "bpmn-js/lib/Modeler";
import camundaModdle from "camunda-bpmn-moddle/resources/camunda.json";
import "bpmn-js/dist/assets/diagram-js.css";
import "bpmn-js/dist/assets/bpmn-js.css";
import "bpmn-js/dist/assets/bpmn-font/css/bpmn-embedded.css";

export function FincrmBpmnModeler({ xml, onChanged, onFailed, id, className, ariaLabel }) {
  const containerRef = useRef(null);
  const modelerRef = useRef(null);
  const changedRef = useRef(onChanged);
  const failedRef = useRef(onFailed);
  changedRef.current = onChanged;
  failedRef.current = onFailed;

  useEffect(() => {
    const modeler = new Modeler({ container: containerRef.current, moddleExtensions: { camunda: camundaModdle } });
    modelerRef.current = modeler;
    let timer = null;
    modeler.on("commandStack.changed", () => {
      clearTimeout(timer);
      timer = setTimeout(async () => {
        try {
          const { xml: out } = await modeler.saveXML({ format: true });
          if (changedRef.current) changedRef.current(out);
        } catch (err) {
          if (failedRef.current) failedRef.current(String((err && err.message) || err));
        }
      }, 400);
    });
    return () => {
      clearTimeout(timer);
      modeler.destroy();
      modelerRef.current = null;
    };
  }, []);

  useEffect(() => {
    const modeler = modelerRef.current;
    if (!modeler || !xml) return;
    modeler
      .importXML(xml)
      .then(() => modeler.get("canvas").zoom("fit-viewport"))
      .catch((err) => failedRef.current && failedRef.current(String((err && err.message) || err)));
  }, [xml]);

  return <div id={id} className={className} ref={containerRef} role="application" aria-label={ariaLabel} />;
}
