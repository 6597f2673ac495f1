/**
 * A minimal SpreadsheetML package (ECMA-376 Part 1, §18): sheets of inline-string and
 * number cells, one money format, bold headings — what the daily close needs and no more.
 *
 * Numbers are written as the decimal text they already are ("25.00" from formatMoney),
 * never through a float computed here; Excel and LibreOffice parse that text exactly
 * as a spreadsheet would. Text is inline (t="inlineStr"), so no shared-string table.
 */
import { zip } from "./zip.js";

export type Cell =
  | { text: string; bold?: boolean }
  /** Decimal text of the value, e.g. "25.00" or "-3"; money gets the 2-decimal format. */
  | { number: string; money?: boolean }
  | null;

export interface Sheet {
  name: string;
  /** Column widths in characters, from column A. */
  widths: number[];
  rows: Cell[][];
}

const MAIN_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const PKG_REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships";
const XML_HEAD = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n';
const NUMBER = /^-?[0-9]+(\.[0-9]+)?$/;

/** Style indexes into cellXfs below. */
const STYLE = { money: 1, bold: 2 } as const;

export function xlsx(sheets: readonly Sheet[]): Buffer {
  return zip([
    { name: "[Content_Types].xml", data: contentTypes(sheets.length) },
    { name: "_rels/.rels", data: packageRels() },
    { name: "xl/workbook.xml", data: workbook(sheets) },
    { name: "xl/_rels/workbook.xml.rels", data: workbookRels(sheets.length) },
    { name: "xl/styles.xml", data: STYLES },
    ...sheets.map((s, i) => ({ name: `xl/worksheets/sheet${i + 1}.xml`, data: worksheet(s) })),
  ]);
}

function contentTypes(count: number): string {
  const sheet = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml";
  const overrides = Array.from(
    { length: count },
    (_, i) => `<Override PartName="/xl/worksheets/sheet${i + 1}.xml" ContentType="${sheet}"/>`,
  ).join("");
  return (
    `${XML_HEAD}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>' +
    '<Default Extension="xml" ContentType="application/xml"/>' +
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>' +
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>' +
    `${overrides}</Types>`
  );
}

function packageRels(): string {
  return (
    `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">` +
    `<Relationship Id="rId1" Type="${REL_NS}/officeDocument" Target="xl/workbook.xml"/></Relationships>`
  );
}

function workbook(sheets: readonly Sheet[]): string {
  const list = sheets
    .map((s, i) => `<sheet name="${escapeXml(s.name)}" sheetId="${i + 1}" r:id="rId${i + 1}"/>`)
    .join("");
  return `${XML_HEAD}<workbook xmlns="${MAIN_NS}" xmlns:r="${REL_NS}"><sheets>${list}</sheets></workbook>`;
}

function workbookRels(count: number): string {
  const sheets = Array.from(
    { length: count },
    (_, i) => `<Relationship Id="rId${i + 1}" Type="${REL_NS}/worksheet" Target="worksheets/sheet${i + 1}.xml"/>`,
  ).join("");
  const styles = `<Relationship Id="rId${count + 1}" Type="${REL_NS}/styles" Target="styles.xml"/>`;
  return `${XML_HEAD}<Relationships xmlns="${PKG_REL_NS}">${sheets}${styles}</Relationships>`;
}

/** numFmt 164 is the first id free for custom formats (§18.8.30). */
const STYLES =
  `${XML_HEAD}<styleSheet xmlns="${MAIN_NS}">` +
  '<numFmts count="1"><numFmt numFmtId="164" formatCode="#,##0.00"/></numFmts>' +
  '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font><font><b/><sz val="11"/><name val="Calibri"/></font></fonts>' +
  '<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>' +
  '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>' +
  '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>' +
  '<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>' +
  '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>' +
  '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>' +
  '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles></styleSheet>';

function worksheet(sheet: Sheet): string {
  const cols = sheet.widths.map((w, i) => `<col min="${i + 1}" max="${i + 1}" width="${w}" customWidth="1"/>`).join("");
  const rows = sheet.rows
    .map((cells, r) => {
      const xml = cells.map((c, i) => cellXml(c, `${columnName(i)}${r + 1}`)).join("");
      return `<row r="${r + 1}">${xml}</row>`;
    })
    .join("");
  return `${XML_HEAD}<worksheet xmlns="${MAIN_NS}">${cols ? `<cols>${cols}</cols>` : ""}<sheetData>${rows}</sheetData></worksheet>`;
}

function cellXml(cell: Cell, ref: string): string {
  if (cell === null) return "";
  if ("number" in cell) {
    if (!NUMBER.test(cell.number)) throw new RangeError(`cell ${ref}: "${cell.number}" is not a decimal number`);
    return `<c r="${ref}"${cell.money ? ` s="${STYLE.money}"` : ""}><v>${cell.number}</v></c>`;
  }
  const style = cell.bold ? ` s="${STYLE.bold}"` : "";
  return `<c r="${ref}" t="inlineStr"${style}><is><t xml:space="preserve">${escapeXml(cell.text)}</t></is></c>`;
}

/** A, B, … Z, AA, AB, … for a 0-based column index. */
export function columnName(index: number): string {
  let n = index + 1;
  let name = "";
  while (n > 0) {
    const rem = (n - 1) % 26;
    name = String.fromCharCode(65 + rem) + name;
    n = Math.floor((n - 1) / 26);
  }
  return name;
}

/** Escape for XML text and attributes; characters XML 1.0 forbids (control codes) are dropped. */
export function escapeXml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, "")
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;")
    .replaceAll('"', "&quot;");
}
