// The Streamlit custom-component protocol (version 1), spoken directly: the official streamlit-component-lib would
// bundle Apache Arrow (for dataframe arguments, which this component does not use) and multiply the bundle's size.

function send(type, data) {
  window.parent.postMessage({ isStreamlitMessage: true, type, ...data }, "*");
}

/** Call ``onRender(args)`` with the Python arguments at every script run; announce that the component is ready. */
export function connect(onRender) {
  window.addEventListener("message", (event) => {
    if (event.data && event.data.type === "streamlit:render") onRender(event.data.args || {});
  });
  send("streamlit:componentReady", { apiVersion: 1 });
}

/** The component's value: what the Python call returns (and what its ``on_change`` sees) at the next run. */
export function setValue(value) {
  send("streamlit:setComponentValue", { value, dataType: "json" });
}

export function setHeight(height) {
  send("streamlit:setFrameHeight", { height });
}
