/**
 * Reads a CSV file with a header row, one record per line, as objects keyed by the header.
 * Quoted fields may hold commas and doubled quotes; they may not span lines (MovieLens never
 * does), and such a file fails with the line number rather than being misread.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { AlmanacError } from '../errors.ts';

export function parseCsvLine(line: string, file: string, lineNumber: number): string[] {
  const fields: string[] = [];
  let field = '';
  let quoted = false;

  for (let i = 0; i < line.length; i++) {
    const char = line[i];
    if (quoted) {
      if (char === '"' && line[i + 1] === '"') {
        field += '"';
        i++;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"' && field === '') {
      quoted = true;
    } else if (char === ',') {
      fields.push(field);
      field = '';
    } else {
      field += char;
    }
  }

  if (quoted) {
    throw new AlmanacError('IMPORT_BAD_CSV', `${file}:${lineNumber}: unterminated quoted field`);
  }
  fields.push(field);
  return fields;
}

export interface CsvRecord {
  line: number;
  values: Record<string, string>;
}

export async function* readCsv(file: string): AsyncGenerator<CsvRecord> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  let header: string[] | undefined;
  let lineNumber = 0;

  for await (const line of lines) {
    lineNumber++;
    if (line.trim() === '') continue;

    const fields = parseCsvLine(line, file, lineNumber);
    if (!header) {
      header = fields.map((name) => name.replace(/^\uFEFF/, ''));
      continue;
    }
    if (fields.length !== header.length) {
      throw new AlmanacError(
        'IMPORT_BAD_CSV',
        `${file}:${lineNumber}: expected ${header.length} fields, found ${fields.length}`,
      );
    }

    const values: Record<string, string> = {};
    header.forEach((name, index) => (values[name] = fields[index]!));
    yield { line: lineNumber, values };
  }
}
