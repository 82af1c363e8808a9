/**
 * CSV cells for spreadsheets: RFC 4180 quoting (a cell with a comma, quote, CR or LF is quoted,
 * quotes doubled), and formula injection defused as OWASP advises: a cell starting with = + - @,
 * a tab or a carriage return gets a leading apostrophe, so Excel, Sheets and LibreOffice show it
 * as text instead of running it. Lines end CRLF; the file starts with a UTF-8 byte order mark.
 */
export const BOM = '\uFEFF';
export const EOL = '\r\n';

const FORMULA_START = /^[=+\-@\t\r]/;

export function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : Array.isArray(value) ? value.join('; ') : String(value);
  if (FORMULA_START.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function line(values: readonly unknown[]): string {
  return values.map(cell).join(',') + EOL;
}
