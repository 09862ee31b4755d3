/** Saves a file the way a link with `download` does (the browser's own download, no permission). */
export function download(data: Blob | string, filename: string, type = 'text/plain'): void {
  const url = URL.createObjectURL(typeof data === 'string' ? new Blob([data], { type }) : data);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  // Revoked later: the download reads the blob after click() returns.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A name that says what and when: faceml-history-2026-12-03.csv, faceml-team-call-2026-12-03.png. */
export function exportName(what: string, date: Date, ext: string): string {
  const slug = what.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'session';
  return `faceml-${slug}-${date.toISOString().slice(0, 10)}.${ext}`;
}
