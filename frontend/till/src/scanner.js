// A barcode scanner is a keyboard that types fast and ends with Enter. Keys arriving less than
// GAP ms apart (a scanner: a few ms; a person: 100 ms and more), at least MIN_LENGTH of them (an
// EAN-8 is the shortest barcode), then Enter, are a scan wherever the focus is; the characters it
// typed into a field are taken back out of that field. Times are the events' own, so a busy page
// does not stretch a scan.
const GAP = 60;
const MIN_LENGTH = 6;

export function listenForScans(onScan) {
  let buffer = "";
  let last = 0;
  let field = null;
  let fieldValue = "";

  // Enter ends a burst: the next key starts a new one, whose field is taken afresh even when it
  // comes within GAP of the last (a scan right after a scan, into a field just focused).
  function reset() {
    buffer = "";
    last = -Infinity;
  }

  function handler(event) {
    const now = event.timeStamp;
    if (event.key === "Enter") {
      if (buffer.length >= MIN_LENGTH && now - last < GAP) {
        event.preventDefault();
        event.stopPropagation();
        if (field && field.value !== fieldValue) {
          field.value = fieldValue;
          field.dispatchEvent(new Event("input", { bubbles: true })); // the screen's state follows the field
        }
        const code = buffer;
        reset();
        onScan(code);
        return;
      }
      reset();
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
