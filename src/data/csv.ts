import { promises as fs } from 'node:fs';
import type { Dataset, LoadOptions } from './types';
import { DataError, describeList, describeShape } from './errors';
import { canonicalIntegerLabels, classRemap, firstPerClass, sortClassNames } from './classes';
import { subsetDataset } from './subset';
import { splitCsvLine } from './csv-fields';

const LABEL_COLUMN = 'label';
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

interface CsvLine {
  number: number;
  text: string;
}

async function readLines(file: string): Promise<CsvLine[]> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new DataError(
      file,
      `cannot read file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
    );
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text
    .split(/\r?\n|\r/)
    .map((line, index) => ({ number: index + 1, text: line }))
    .filter((line) => line.text.trim() !== '');
}

function fieldsOf(file: string, line: CsvLine): string[] {
  const fields = splitCsvLine(line.text);
  if (!fields) throw new DataError(`${file} line ${line.number}`, 'unterminated quoted field');
  return fields;
}

/**
 * Loads a CSV file with a header row and a `label` column; every other column
 * is a numeric feature. Labels may be names or integers.
 */
export async function loadCsv(file: string, options: LoadOptions): Promise<Dataset> {
  const lines = await readLines(file);
  if (lines.length === 0) throw new DataError(file, 'empty file (expected a header row and data rows)');
  const header = fieldsOf(file, lines[0]);
  const labelColumns = header.flatMap((name, index) => (name.toLowerCase() === LABEL_COLUMN ? [index] : []));
  if (labelColumns.length === 0) {
    throw new DataError(file, `no '${LABEL_COLUMN}' column in the header (columns: ${describeList(header)})`);
  }
  if (labelColumns.length > 1) throw new DataError(file, `more than one '${LABEL_COLUMN}' column in the header`);
  const labelColumn = labelColumns[0];
  const features = header.length - 1;
  if (features === 0) throw new DataError(file, 'no feature columns besides the label');
  if (options.inputShape && (options.inputShape.length !== 1 || options.inputShape[0] !== features)) {
    throw new DataError(
      file,
      `data has ${features} features but the model's input is ${describeShape(options.inputShape)}`,
    );
  }
  const rows = lines.length - 1;
  if (rows === 0) throw new DataError(file, 'no data rows after the header');

  const x = new Float32Array(rows * features);
  const rawLabels: string[] = new Array(rows);
  for (let r = 0; r < rows; r++) {
    const line = lines[r + 1];
    const where = `${file} line ${line.number}`;
    const fields = fieldsOf(file, line);
    if (fields.length !== header.length) {
      throw new DataError(where, `expected ${header.length} columns as in the header, found ${fields.length}`);
    }
    let f = 0;
    for (let c = 0; c < fields.length; c++) {
      if (c === labelColumn) continue;
      if (!DECIMAL.test(fields[c])) {
        throw new DataError(where, `feature '${header[c]}' is not a number: '${fields[c]}'`);
      }
      x[r * features + f++] = Number(fields[c]);
    }
    if (fields[labelColumn] === '') throw new DataError(where, 'empty label');
    rawLabels[r] = fields[labelColumn];
  }

  const labels = canonicalIntegerLabels(rawLabels);
  const dataClasses = sortClassNames(labels);
  const classIndex = new Map(dataClasses.map((name, index) => [name, index]));
  const remap = options.classes ? classRemap(file, dataClasses, options.classes) : undefined;
  const classes = options.classes ? [...options.classes] : dataClasses;
  const y = Int32Array.from(labels, (label) => {
    const id = classIndex.get(label)!;
    return remap ? remap[id] : id;
  });
  const dataset: Dataset = { source: file, kind: 'tabular', inputShape: [features], classes, x, y, count: rows };
  return options.limit === undefined
    ? dataset
    : subsetDataset(dataset, firstPerClass(y, classes.length, options.limit));
}
