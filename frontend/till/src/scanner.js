// A barcode scanner is a keyboard that types fast and ends with Enter. Keys arriving less than
// GAP ms apart, at least MIN_LENGTH of them, then Enter, are a scan wherever the focus is; the
// characters it typed into a field are taken back out of that field.
const GAP = 40;
const MIN_LENGTH = 4;

export function listenForScans(onScan) {
  let buffer = "";
  let last = 0;
  let field = null;
  let fieldValue = "";

  function handler(event) {
    const now = performance.now();
    if (event.key === "Enter") {
      if (buffer.length >= MIN_LENGTH && now - last < GAP * 2) {
        event.preventDefault();
        event.stopPropagation();
        if (field) field.value = fieldValue;
        const code = buffer;
        buffer = "";
        onScan(code);
        return;
      }
      buffer = "";
      return;
    }
    if (event.key.length !== 1 || event.ctrlKey || event.altKey || event.metaKey) return;
    if (now - last > GAP) {
      buffer = "";
      field = event.target instanceof HTMLInputElement ? event.target : null;
      fieldValue = field ? field.value : "";
    }
    buffer += event.key;
    last = now;
  }

  window.addEventListener("keydown", handler, true);
  return () => window.removeEventListener("keydown", handler, true);
}
